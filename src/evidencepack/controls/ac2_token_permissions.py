"""AC-2: least-privilege pipeline token: explicit, minimal `permissions`."""

from __future__ import annotations

from ..model import Status
from .base import (
    PLATFORM_API_EVIDENCE,
    Control,
    Evidence,
    Outcome,
    accept,
    expired_allowances,
    guard_unparsed,
    needs_platform,
    no_pipeline,
    pipeline_evidence,
    plural,
    unavailable_reason,
    where,
)

_UNKNOWN_RULES = {"default-permissions"}


class TokenPermissions(Control):
    id = "AC-2"
    title = "Least-privilege pipeline token (explicit, minimal permissions)"
    criteria = ("CC6.1", "CC6.3")
    iso27001 = ("A.8.2", "A.5.15")
    evidence_needed = (
        "`permissions` of every GitHub workflow and job",
        "the repository's default workflow permissions (platform API)",
    )
    status_rule = (
        "fail on `write-all` or on write scopes granted to jobs that do not need them; pass "
        "when every workflow sets explicit, minimal permissions; error when a workflow relies "
        "on the repository default, which is only visible through the platform API"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        missing = no_pipeline(evidence)
        if missing:
            return missing
        pipeline = evidence.pipeline
        assert pipeline is not None
        files = pipeline_evidence(evidence)
        open_, accepted = accept(self.id, pipeline.permission_findings, evidence)
        extra = (*accepted, *expired_allowances(self.id, evidence))
        excessive = [f for f in open_ if f.rule not in _UNKNOWN_RULES]
        unknown = [f for f in open_ if f.rule in _UNKNOWN_RULES]
        if excessive:
            return guard_unparsed(Outcome(
                Status.FAIL,
                f"{plural(len(excessive), 'excessive token permission')} at "
                f"{where(f.location for f in excessive if f.location)}",
                (*open_, *extra),
                files,
            ), evidence)
        if "github" not in pipeline.platforms:
            return Outcome(
                Status.ERROR,
                "GitLab job token permissions are a project setting, not configuration; "
                + needs_platform(evidence, "the CI_JOB_TOKEN scope", "GitLab"),
                extra,
                files,
            )
        default = evidence.platform.default_token_permissions if evidence.platform else None
        if unknown and default == "write":
            return guard_unparsed(Outcome(
                Status.FAIL,
                f"{plural(len(unknown), 'workflow')} rely on the repository default, which gives "
                "the token write access to every scope",
                (*unknown, *extra),
                (*files, *PLATFORM_API_EVIDENCE),
            ), evidence)
        if unknown and default == "read":
            unknown = []
            files = (*files, *PLATFORM_API_EVIDENCE)
        if unknown and evidence.platform is not None:
            return guard_unparsed(Outcome(
                Status.ERROR,
                f"{plural(len(unknown), 'workflow')} rely on the repository default; "
                + unavailable_reason(evidence, "the repository's default workflow permissions",
                                     evidence.platform.missing("default workflow permissions")),
                (*open_, *extra),
                (*files, *PLATFORM_API_EVIDENCE),
            ), evidence)
        if unknown:
            workflows = where(f.location for f in unknown if f.location)
            return guard_unparsed(Outcome(
                Status.ERROR,
                f"{plural(len(unknown), 'workflow')} ({workflows}) set no top-level "
                "`permissions` for every job, so the repository default applies; "
                + needs_platform(evidence, "the repository's default workflow permissions"),
                (*open_, *extra),
                files,
            ), evidence)
        count = len(pipeline.permissions)
        if "gitlab" in pipeline.platforms:
            return guard_unparsed(Outcome(
                Status.ERROR,
                f"every GitHub workflow ({count}) sets explicit, minimal permissions; "
                + needs_platform(evidence, "GitLab's CI_JOB_TOKEN scope", "GitLab"),
                extra,
                files,
            ), evidence)
        return guard_unparsed(Outcome(
            Status.PASS,
            f"every workflow ({count}) sets explicit permissions and no job holds a write "
            "scope it does not use",
            extra,
            files,
        ), evidence)
