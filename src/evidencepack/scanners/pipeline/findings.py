"""The findings `scan workflows` reports: everything the analysis holds against the pipeline."""

from __future__ import annotations

from ...model import Finding, Severity
from .model import CloudMethod, PipelineAnalysis

_AC1_DOCS = "https://evidencepack.dev/controls/AC-1#static-cloud-credentials"


def static_credentials(analysis: PipelineAnalysis) -> list[Finding]:
    """One high-severity finding per static cloud credential reaching the pipeline."""
    return [
        Finding(
            rule="static-cloud-credentials",
            message=f"static {a.provider.upper()} credentials: {a.detail}",
            severity=Severity.HIGH,
            location=a.location,
            help_uri=_AC1_DOCS,
        )
        for a in analysis.cloud_access
        if a.method is CloudMethod.STATIC
    ]


def workflow_findings(analysis: PipelineAnalysis) -> list[Finding]:
    """Parse errors, static cloud credentials, token permissions and hardening, sorted."""
    findings: list[Finding] = [*analysis.parse_errors, *static_credentials(analysis)]
    findings.extend(analysis.permission_findings)
    findings.extend(analysis.hardening)
    return sorted(
        findings,
        key=lambda f: (
            f.location.path if f.location else "",
            f.location.line or 0 if f.location else 0,
            f.severity.rank,
            f.rule,
        ),
    )
