"""DOC-1: as-built: the declared policy matches the observed configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..model import Location, Severity, Status
from ..policy import Policy
from ..scanners.pipeline.model import CapabilityKind, CloudMethod, PipelineAnalysis
from ..sources.platform import PlatformEvidence
from .base import (
    EVIDENCE_POLICY,
    PLATFORM_API_EVIDENCE,
    Control,
    Evidence,
    Outcome,
    accept,
    expired_allowances,
    no_pipeline,
    pipeline_evidence,
    plural,
    unparsed,
)


@dataclass(frozen=True)
class Comparison:
    """One declared value set against what was observed (None = not observable here)."""

    key: str
    declared: str
    observed: str | None
    matches: bool


_CAPABILITIES = (
    ("tests", CapabilityKind.TESTS, "a step that runs tests"),
    ("dependency_scanning", CapabilityKind.DEPENDENCY_SCAN, "a dependency-scanning step"),
    ("secret_scanning", CapabilityKind.SECRET_SCAN, "a secret-scanning step"),
    ("sbom", CapabilityKind.SBOM, "an SBOM step"),
    ("signing", CapabilityKind.SIGNING, "a signing step"),
)


def compare(policy: Policy, pipeline: PipelineAnalysis, platform: PlatformEvidence | None = None,
            today: date | None = None) -> list[Comparison]:
    """Every declared value with what the configuration shows, in policy order."""
    out: list[Comparison] = []
    declared = policy.pipeline
    for key, kind, text in _CAPABILITIES:
        want = getattr(declared, key)
        found = pipeline.has(kind)
        observed = f"{text} at {found[0].location}" if found else f"no {text.split(' ', 1)[1]}"
        out.append(Comparison(f"pipeline.{key}", str(want).lower(), observed,
                              bool(found) == want or (not want)))
    jobs = pipeline.deploy_jobs
    unverified = [j.job for j in jobs if j.verification is None]
    observed = (
        "no deploy job" if not jobs
        else f"{len(jobs) - len(unverified)} of {len(jobs)} deploy jobs verify first"
    )
    out.append(Comparison("pipeline.verify_before_deploy",
                          str(declared.verify_before_deploy).lower(), observed,
                          not declared.verify_before_deploy or not unverified))
    static = [a for a in pipeline.cloud_access if a.method is CloudMethod.STATIC]
    out.append(Comparison(
        "pipeline.oidc_only", str(declared.oidc_only).lower(),
        f"static cloud credentials at {static[0].location}" if static
        else "no static cloud credentials",
        not declared.oidc_only or not static,
    ))
    production = set(policy.production_branches)
    outside = sorted({
        f"{j.job} runs for {b}" for j in jobs for b in j.branches
        if b not in production and b not in ("tags", "$CI_DEFAULT_BRANCH")
    })
    out.append(Comparison(
        "production_branches", ", ".join(policy.production_branches),
        "deploys only from production branches" if not outside else "; ".join(outside[:3]),
        not outside,
    ))
    out.extend(_platform_values(policy, platform, today))
    return out


def _platform_values(policy: Policy, platform: PlatformEvidence | None,
                     today: date | None) -> list[Comparison]:
    """Declared values only the platform shows; `observed` None where it did not show them."""
    # Log retention is a platform setting: artifact `retention-days` are not logs.
    logs = str(policy.logs.retention_days)
    approvals = str(policy.approvals.required)
    rotation = str(policy.secrets.rotation_days)
    if platform is None:
        return [Comparison("logs.retention_days", logs, None, True),
                Comparison("approvals.required", approvals, None, True),
                Comparison("secrets.rotation_days", rotation, None, True)]
    out: list[Comparison] = []
    if platform.run_logs:
        out.append(Comparison("logs.retention_days", logs, "this run's logs archived in the pack", True))
    elif platform.log_retention_days is not None:
        out.append(Comparison("logs.retention_days", logs,
                              f"the platform keeps logs {platform.log_retention_days} days",
                              platform.log_retention_days >= policy.logs.retention_days))
    else:
        out.append(Comparison("logs.retention_days", logs, None, True))
    if platform.branch_rules:
        least = min(r.required_approvals if r.protected else 0 for r in platform.branch_rules)
        out.append(Comparison("approvals.required", approvals,
                              f"production branches require {least} approval(s)",
                              least >= policy.approvals.required))
    else:
        out.append(Comparison("approvals.required", approvals, None, True))
    if platform.secrets is not None and platform.secrets_have_dates and today is not None:
        ages = [
            (today - datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()).days
            for s in platform.secrets
            if (stamp := s.updated_at or s.created_at)
        ]
        oldest = max(ages, default=0)
        out.append(Comparison("secrets.rotation_days", rotation,
                              f"oldest secret updated {oldest} days ago" if ages else "no secrets",
                              oldest <= policy.secrets.rotation_days))
    else:
        out.append(Comparison("secrets.rotation_days", rotation, None, True))
    return out


class AsBuilt(Control):
    id = "DOC-1"
    title = "As-built: declared policy matches observed configuration"
    criteria = ("CC5.3", "CC4.1")
    iso27001 = ("A.5.1", "A.5.36")
    evidence_needed = (
        "the policy file (evidencepack.yml) or its defaults",
        "what the pipeline configuration shows for each declared value",
        "platform settings for the values only the platform shows (platform API)",
    )
    status_rule = (
        "fail when a declared value differs from what was observed; pass when every declared "
        "value was observed and matches; error when some declared values could not be observed"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        missing = no_pipeline(evidence)
        if missing:
            return missing
        assert evidence.pipeline is not None
        comparisons = compare(evidence.policy, evidence.pipeline, evidence.platform, evidence.today)
        source = evidence.policy_path
        policy_location = Location(source) if source else None
        differences = [
            self.finding(
                "declared-differs",
                f"{c.key}: declared {c.declared}, observed {c.observed}",
                Severity.MEDIUM,
                policy_location,
            )
            for c in comparisons
            if not c.matches
        ]
        open_, accepted = accept(self.id, differences, evidence)
        extra = (*accepted, *expired_allowances(self.id, evidence))
        files = (EVIDENCE_POLICY, *pipeline_evidence(evidence), *PLATFORM_API_EVIDENCE)
        unobserved = [c.key for c in comparisons if c.observed is None]
        matched = len(comparisons) - len(differences) - len(unobserved)
        declared_in = source or "the default policy"
        if open_:
            return Outcome(
                Status.FAIL,
                f"{plural(len(open_), 'declared value')} of {declared_in} "
                f"{'differs' if len(open_) == 1 else 'differ'} from the configuration: "
                + "; ".join(f.message for f in open_[:3]),
                (*open_, *extra),
                files,
            )
        errors = unparsed(evidence)
        if unobserved or errors:
            reasons = []
            if unobserved:
                reasons.append(f"not observed: {', '.join(unobserved)}")
            if errors:
                reasons.append(f"{len(errors)} configuration file(s) could not be parsed")
            return Outcome(
                Status.ERROR,
                f"{matched} declared values match the configuration; " + "; ".join(reasons),
                (*errors, *extra),
                files,
            )
        return Outcome(
            Status.PASS,
            f"all {len(comparisons)} declared values of {declared_in} match what was observed",
            extra,
            files,
        )
