"""VM-1: dependencies scanned for known vulnerabilities on every build, against a fresh database."""

from __future__ import annotations

from ..model import Finding, Location, Severity, Status, instant
from ..scanners.deps.matching import VulnerabilityReport, summary
from ..scanners.deps.osv_db import iso
from ..scanners.pipeline.model import CapabilityKind
from .base import EVIDENCE_VULNERABILITIES, Control, Evidence, Outcome, plural
from .capability import CapabilityControl


class DependencyScanning(CapabilityControl):
    id = "VM-1"
    title = "Dependencies scanned for known vulnerabilities on every build, with a fresh database"
    criteria = ("CC7.1", "CC6.8")
    iso27001 = ("A.8.8",)
    evidence_needed = (
        "evidencepack's own scan of this build's inventory against an OSV database",
        "the vulnerability report of this build and the age of its advisory database",
        "a dependency-scanning step in the pipeline (when evidencepack was given no database)",
    )
    status_rule = (
        "pass when this build's scan looked up every component of the inventory against "
        "advisory data of each ecosystem in use younger than `vulnerabilities.max_db_age_hours`; "
        "fail when the data of an ecosystem in use is older or missing, or when no database "
        "was given and nothing in the pipeline scans dependencies; "
        "error when the database could not be read, a lockfile could not be read, or only a "
        "pipeline step (not this build's report) is there"
    )
    capability = CapabilityKind.DEPENDENCY_SCAN
    does = "scans dependencies for known vulnerabilities"
    gap = ("this build's vulnerability report and its database age are not in the pack "
           "(give evidencepack an OSV database: --osv-db, EVIDENCEPACK_OSV_DB or "
           "`vulnerabilities.osv_db`, or --online)")

    def evaluate(self, evidence: Evidence) -> Outcome:
        report = evidence.vulnerabilities
        if report is None:
            if evidence.vulnerability_error:
                return Outcome(Status.ERROR, "this build's dependencies were not scanned: "
                               + evidence.vulnerability_error)
            return super().evaluate(evidence)
        files = (EVIDENCE_VULNERABILITIES,)
        problem, age = coverage_problem(self, evidence, report)
        if problem is not None:
            return problem
        db = report.database
        limit = evidence.policy.vulnerabilities.max_db_age_hours
        listed = _listed(self, report)
        if report.components == 0:
            return Outcome(Status.NOT_APPLICABLE, "no lockfile or SBOM in the repository: no "
                           "dependency to scan", listed, files)
        counts = summary(report.vulnerabilities)
        text = (f"{plural(report.components, 'component')} ({report.looked_up} distinct package "
                f"versions) looked up in {db.kind} OSV data current to "
                f"{db.newest_modified or db.fetched_at} ({age:.0f} hours old, at most {limit}); "
                f"{plural(counts['total'], 'vulnerability')} found, {counts['open']} open")
        if listed:
            text += f"; {plural(len(listed), 'package version')} could not be compared (listed)"
        return Outcome(Status.PASS, text, listed, files)


def coverage_problem(control: Control, evidence: Evidence, report: VulnerabilityReport, *,
                     stale_ok: bool = False) -> tuple[Outcome | None, float]:
    """Why this build's scan does not cover it (unknown or stale advisory data, an ecosystem
    in use without data, an unread lockfile, nothing looked up), as the outcome for `control`;
    None when it covers it. Also the age in hours of the data used. With `stale_ok`, data
    older than the policy allows is not a gap.

    VM-1 reports the gap; VM-2 cannot judge the SLA on a scan with one.
    """
    files = (EVIDENCE_VULNERABILITIES,)
    db = report.database
    limit = evidence.policy.vulnerabilities.max_db_age_hours
    as_of, scanned = db.as_of, instant(report.scanned_at)
    if as_of is None or scanned is None:
        return Outcome(Status.ERROR, f"the age of the advisory database ({db.source}) is "
                       "unknown: no advisory carries a modification time", evidence=files), 0.0
    age = (scanned - as_of).total_seconds() / 3600
    listed = _listed(control, report)
    # Each ecosystem in use must have advisory data of its own, fresh enough: a fresh
    # PyPI archive does not make a months-old npm one (or none) a scan of npm packages.
    gaps: list[Finding] = []
    for eco, count in report.ecosystems:
        eco_as_of = db.ecosystem_as_of(eco)
        if eco_as_of is None:
            gaps.append(control.finding(
                "ecosystem-not-covered",
                f"the advisory database {db.source} holds no {eco} advisory, so the "
                f"{plural(count, 'package version')} of {eco} were not checked",
                Severity.HIGH))
            continue
        eco_age = (scanned - eco_as_of).total_seconds() / 3600
        age = max(age, eco_age)
        if eco_age > limit and not stale_ok:
            gaps.append(control.finding(
                "stale-database",
                f"the {eco} advisories of {db.source} are current to {iso(eco_as_of)}, "
                f"{eco_age:.0f} hours before the scan; the policy allows {limit} hours",
                Severity.HIGH))
    if not report.ecosystems and age > limit and not stale_ok:
        gaps.append(control.finding(
            "stale-database",
            f"the advisory database {db.source} is current to "
            f"{db.newest_modified or db.fetched_at}, {age:.0f} hours before the scan; the "
            f"policy allows {limit} hours", Severity.HIGH))
    if gaps:
        stale = [f for f in gaps if f.rule == "stale-database"]
        missing = [f for f in gaps if f.rule == "ecosystem-not-covered"]
        why = []
        if stale:
            why.append(f"the advisory data is up to {age:.0f} hours old (more than {limit}): "
                       "a stale database is not a scan")
        if missing:
            why.append(f"{plural(len(missing), 'ecosystem')} in use without advisory data")
        return Outcome(Status.FAIL, "; ".join(why), (*gaps, *listed), files), age
    if report.lockfile_errors:
        unread = [control.finding("lockfile-not-scanned",
                                  f"{error}: its dependencies were not scanned", Severity.MEDIUM,
                                  Location(error.split(":", 1)[0]))
                  for error in report.lockfile_errors]
        return Outcome(Status.ERROR, f"{plural(len(unread), 'lockfile')} could not be read, so "
                       "the scan did not cover the whole inventory", (*unread, *listed), files), age
    if report.components and not report.looked_up:
        return Outcome(Status.ERROR, f"none of the {plural(report.components, 'component')} is in "
                       "an ecosystem evidencepack can match: nothing was looked up",
                       listed, files), age
    return None, age


def _listed(control: Control, report: VulnerabilityReport) -> tuple[Finding, ...]:
    """Package versions the scan could not compare: listed, so coverage is visible."""
    out = [control.finding("version-not-comparable",
                           f"{u.purl}: {u.reason}"
                           + (f" (advisories {', '.join(u.advisories[:5])})" if u.advisories else ""),
                           Severity.LOW if u.advisories else Severity.INFO)
           for u in report.not_comparable]
    out.extend(control.finding("unknown-ecosystem", f"{u.purl}: {u.reason}", Severity.INFO)
               for u in report.unknown_ecosystem)
    return tuple(out)
