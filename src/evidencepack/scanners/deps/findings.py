"""The vulnerability report as findings and SARIF rule descriptions.

One SARIF rule per vulnerability (its primary id, as osv-scanner and GitHub's dependency
alerts name them), one result per affected package version at the lockfile that names
it. VEX `not_affected`/`fixed` results stay in the log as accepted suppressions.
"""

from __future__ import annotations

from typing import Any

from ...formats.sarif import RuleInfo, sarif_log
from ...model import Finding, Severity
from .matching import OSV_URL, VulnerabilityReport


def vulnerability_findings(report: VulnerabilityReport) -> list[Finding]:
    return [v.to_finding() for v in report.vulnerabilities]


def vulnerability_rules(report: VulnerabilityReport) -> dict[str, RuleInfo]:
    rules: dict[str, RuleInfo] = {}
    for v in report.vulnerabilities:
        rated = f"{v.severity} ({v.rating.basis})" if v.severity else "severity unknown"
        known = rules.get(v.id)
        severity = v.severity or Severity.MEDIUM
        if known is not None and known.default_severity.rank <= severity.rank:
            continue
        also = f" Also known as {', '.join(v.aliases)}." if v.aliases else ""
        rules[v.id] = RuleInfo(
            id=v.id,
            name=v.id,
            short_description=v.summary or f"Known vulnerability {v.id}",
            help_uri=OSV_URL + v.id,
            default_severity=severity,
            full_description=(f"{v.id}: {v.summary or 'no summary'}.{also} Severity: {rated}. "
                              + (f"Fixed in {', '.join(v.fixed)}." if v.fixed
                                 else "No fixed version is known.")),
        )
    return rules


def vulnerability_sarif(report: VulnerabilityReport, tool_version: str) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log."""
    return sarif_log(vulnerability_findings(report), tool_version=tool_version,
                     rules=vulnerability_rules(report))
