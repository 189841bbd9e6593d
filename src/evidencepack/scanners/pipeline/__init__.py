"""Pipeline analysis: read the configuration, then let each platform's analyser look at it."""

from __future__ import annotations

from dataclasses import dataclass

from ...policy import POLICY_FILENAME, Policy
from ...sources.repository import Checkout
from .codeowners import coverage
from .discovery import discover
from .github import analyze_github
from .gitlab import analyze_gitlab
from .model import ConfigKind, PipelineAnalysis
from .zizmor import start_zizmor


@dataclass(frozen=True)
class PipelineReport:
    """The analysis, and the audit engine's own output kept as evidence."""

    analysis: PipelineAnalysis
    zizmor_json: bytes | None
    """zizmor's JSON report, when it ran."""


def analyze_pipeline(checkout: Checkout, policy: Policy, *, run_hardening: bool = True) -> PipelineReport:
    """Everything the controls learn from the checkout's pipeline configuration."""
    files, notes = discover(checkout, policy.limits.max_config_bytes)
    workflows = [f.path for f in files if f.kind is ConfigKind.GITHUB_WORKFLOW and f.analysable]
    # zizmor skips an unparsable file with only a warning; those never reach it, since
    # discovery already turned each into an error of its own. It audits while we analyse.
    audit = (
        start_zizmor(checkout.root, workflows, policy.hardening.zizmor_persona)
        if workflows and run_hardening else None
    )
    github = analyze_github(files)
    gitlab = analyze_gitlab(files)
    hardening = [*gitlab.hardening]
    engine, engine_error, raw = "", None, None
    if audit is not None:
        zizmor = audit.result()
        engine, engine_error, raw = f"zizmor {zizmor.version}".strip(), zizmor.error, zizmor.raw
        hardening.extend(zizmor.findings)
    owned_paths = [f.path for f in files if f.kind is not ConfigKind.CODEOWNERS and f.tracked]
    owned_paths += [f.path for f in files if f.kind is ConfigKind.CODEOWNERS]
    if (checkout.root / POLICY_FILENAME).is_file():
        owned_paths.append(POLICY_FILENAME)
    codeowners_file = next((f for f in files if f.kind is ConfigKind.CODEOWNERS), None)
    owners = coverage(
        codeowners_file.path if codeowners_file else None,
        codeowners_file.text if codeowners_file else None,
        owned_paths,
    )
    analysis = PipelineAnalysis(
        files=tuple(files),
        cloud_access=tuple(sorted((*github.cloud_access, *gitlab.cloud_access))),
        permissions=github.permissions,
        permission_findings=github.permission_findings,
        hardening=tuple(hardening),
        hardening_engine=engine,
        hardening_error=engine_error,
        capabilities=tuple(sorted((*github.capabilities, *gitlab.capabilities))),
        deploy_jobs=tuple(sorted((*github.deploy_jobs, *gitlab.deploy_jobs))),
        codeowners=owners,
        artifact_retention_days=(*github.artifact_retention_days, *gitlab.artifact_retention_days),
        notes=(*notes, *github.notes, *gitlab.notes),
        job_names=(*github.job_names, *gitlab.job_names),
    )
    return PipelineReport(analysis, raw)
