"""The vulnerability report as findings and SARIF rule descriptions.

One SARIF rule per vulnerability (its primary id, as osv-scanner and GitHub's dependency
alerts name them), one result per affected package version at the lockfile that names
it. VEX `not_affected`/`fixed` results stay in the log as accepted suppressions.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table

from ...formats.sarif import RuleInfo, sarif_log
from ...model import Finding, Severity
from .matching import OSV_URL, VulnerabilityReport, summary


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


def vulnerability_table(report: VulnerabilityReport) -> Table:
    """Vulnerabilities found, most severe first, with status and fixed versions."""
    db = report.database
    counts = summary(report.vulnerabilities)
    table = Table(
        title=(f"{counts['total']} vulnerability(ies), {counts['open']} open, in "
               f"{report.looked_up} package version(s); {db.kind} OSV data current to "
               f"{db.newest_modified or db.fetched_at} ({db.advisories} advisories)"),
        title_justify="left")
    for column in ("Severity", "Id", "Package", "Version", "Fixed in", "Status", "Also known as"):
        table.add_column(column, overflow="fold")
    order = sorted(report.vulnerabilities, key=lambda v: (
        v.severity.rank if v.severity else 9, v.name.lower(), v.version, v.id))
    for v in order:
        table.add_row(str(v.severity) if v.severity else "unknown", v.id, v.name, v.version,
                      ", ".join(v.fixed[:3]), v.status, ", ".join(v.aliases[:4]))
    for u in (*report.not_comparable, *report.unknown_ecosystem):
        table.add_row("-", "not compared", u.purl, "", "", u.reason, ", ".join(u.advisories[:4]))
    return table
