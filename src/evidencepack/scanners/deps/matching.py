"""Matching an inventory against OSV advisories: one finding per vulnerability and package.

For each distinct (ecosystem, name, version) the matcher looks up the advisories of the
package, skips withdrawn ones, and evaluates every `affected` entry by the OSV rules
(`osv_ranges`). The advisories that affect a package are merged by their ids and aliases
(union-find), so a vulnerability published as GHSA, PYSEC and CVE is one finding whose
primary id is chosen the same way every time and whose other ids are listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...model import Finding, Location, Severity
from .model import Component
from .osv_db import AdvisorySource, DatabaseInfo
from .osv_ranges import Verdict, evaluate
from .severity import Rating, worst
from .versions import ORDERED_ECOSYSTEMS, VersionError, base_ecosystem, normalize_name, version_key

OSV_URL = "https://osv.dev/vulnerability/"
# The primary id of a merged vulnerability: GitHub's advisory id where there is one (every
# ecosystem has them and they are what dependency bots cite), then the ecosystem's own
# database, then anything else; ties by the id's text.
_PRIMARY_PREFIX = ("GHSA-", "PYSEC-", "GO-", "RUSTSEC-", "CVE-")

OPEN_STATUSES = ("affected", "under_investigation")
"""Statuses that count against the SLA; `not_affected` and `fixed` (by VEX) do not."""


@dataclass(frozen=True)
class VulnerabilityMatch:
    """One vulnerability (all its aliases) in one package version."""

    id: str
    """The primary id (see `_PRIMARY_PREFIX`)."""
    aliases: tuple[str, ...]
    """Every other id of the vulnerability (advisories merged and their aliases), sorted."""
    advisories: tuple[str, ...]
    """The ids of the advisories that matched, sorted."""
    ecosystem: str
    name: str
    version: str
    purl: str
    sources: tuple[str, ...]
    """The lockfiles or SBOMs that name this package version."""
    rating: Rating
    summary: str
    fixed: tuple[str, ...]
    """Versions the advisories name as fixed, in the order given."""
    modified: str
    published: str | None
    status: str = "affected"
    """`affected`, or what a VEX statement says: `not_affected`, `fixed`, `under_investigation`."""
    vex: Mapping[str, Any] | None = None
    """The VEX statement that decided the status: document, status, justification."""
    first_seen: str | None = None
    """When the vulnerability was first seen in this package (ISO 8601 UTC)."""
    first_seen_pack: str | None = None
    """The earliest pack of the store that contained it; None when first seen by this run."""

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))

    @property
    def severity(self) -> Severity | None:
        return self.rating.severity

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "advisories": list(self.advisories),
            "package": {"ecosystem": self.ecosystem, "name": self.name, "version": self.version,
                        "purl": self.purl},
            "sources": list(self.sources),
            **self.rating.to_json(),
            "summary": self.summary,
            "fixed": list(self.fixed),
            "modified": self.modified,
            "published": self.published,
            "status": self.status,
            "vex": dict(self.vex) if self.vex else None,
            "first_seen": self.first_seen,
            "first_seen_pack": self.first_seen_pack,
            "url": OSV_URL + self.id,
        }

    def to_finding(self) -> Finding:
        """The vulnerability as a finding of the dependency scan (SARIF, tables)."""
        also = f" ({', '.join(self.aliases[:4])})" if self.aliases else ""
        fix = f"; fixed in {', '.join(self.fixed[:3])}" if self.fixed else "; no fixed version"
        rated = str(self.severity) if self.severity else "severity unknown"
        message = (f"{self.name} {self.version} is affected by {self.id}{also}, {rated}: "
                   f"{self.summary or 'no summary'}{fix}")
        allowed = None
        if not self.open and self.vex:
            allowed = (f"VEX {self.status}: "
                       f"{self.vex.get('justification') or self.vex.get('impact_statement') or ''}"
                       f" ({self.vex.get('document')})")
        return Finding(
            rule=self.id,
            message=message,
            # An unrated advisory is shown as medium; the message says it is unrated.
            severity=self.severity or Severity.MEDIUM,
            location=Location(self.sources[0]) if self.sources else None,
            help_uri=OSV_URL + self.id,
            source="osv",
            allowed_by=allowed,
        )


@dataclass(frozen=True)
class Uncompared:
    """A package version that could not be (fully) matched, and why."""

    purl: str
    reason: str
    advisories: tuple[str, ...] = ()
    """Advisories of the package that could not be decided for this version."""

    def to_json(self) -> dict[str, Any]:
        return {"purl": self.purl, "reason": self.reason, "advisories": list(self.advisories)}


@dataclass(frozen=True)
class VulnerabilityReport:
    """What the dependency scan of one build found, and against what data."""

    database: DatabaseInfo
    scanned_at: str
    components: int
    """Components of the inventory (lockfile entries, SBOM entries)."""
    looked_up: int
    """Distinct package versions looked up in the database."""
    vulnerabilities: tuple[VulnerabilityMatch, ...]
    not_comparable: tuple[Uncompared, ...] = ()
    unknown_ecosystem: tuple[Uncompared, ...] = ()
    lockfile_errors: tuple[str, ...] = ()
    """Lockfiles the inventory could not read: their components were not scanned."""
    ecosystems: tuple[tuple[str, int], ...] = ()
    """(ecosystem, package versions looked up) for each ecosystem of the inventory."""
    vex_documents: tuple[str, ...] = ()
    vex_errors: tuple[str, ...] = ()
    """VEX documents that are invalid: their statements were not applied."""
    notes: tuple[str, ...] = field(default=())

    @property
    def open(self) -> tuple[VulnerabilityMatch, ...]:
        return tuple(v for v in self.vulnerabilities if v.open)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "evidencepack-vulnerabilities-1",
            "scanned_at": self.scanned_at,
            "database": self.database.to_json(),
            "components": self.components,
            "looked_up": self.looked_up,
            "ecosystems": dict(self.ecosystems),
            "summary": summary(self.vulnerabilities),
            "vulnerabilities": [v.to_json() for v in self.vulnerabilities],
            "not_comparable": [u.to_json() for u in self.not_comparable],
            "unknown_ecosystem": [u.to_json() for u in self.unknown_ecosystem],
            "lockfile_errors": list(self.lockfile_errors),
            "vex_documents": list(self.vex_documents),
            "vex_errors": list(self.vex_errors),
            "notes": list(self.notes),
        }


def summary(vulns: Iterable[VulnerabilityMatch]) -> dict[str, int]:
    counts = {str(s): 0 for s in Severity} | {"unknown": 0, "open": 0, "total": 0}
    for v in vulns:
        counts[str(v.severity) if v.severity else "unknown"] += 1
        counts["total"] += 1
        counts["open"] += v.open
    return counts


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def primary_id(ids: Iterable[str]) -> str:
    """The id a merged vulnerability is reported under (stable for the same ids)."""
    def rank(i: str) -> tuple[int, str]:
        for n, prefix in enumerate(_PRIMARY_PREFIX):
            if i.startswith(prefix):
                return (n, i)
        return (len(_PRIMARY_PREFIX), i)

    return min(ids, key=rank)


@dataclass
class _Package:
    ecosystem: str
    name: str
    version: str
    purl: str
    sources: list[str]


def match_components(components: Sequence[Component], source: AdvisorySource, *,
                     scanned_at: str, lockfile_errors: Sequence[str] = ()) -> VulnerabilityReport:
    """Look every component up in `source` and report what affects it."""
    packages: dict[tuple[str, str, str], _Package] = {}
    for c in components:
        key = (base_ecosystem(c.ecosystem), normalize_name(c.ecosystem, c.name), c.version)
        known = packages.get(key)
        if known is None:
            packages[key] = _Package(key[0], c.name, c.version, c.purl, [c.source])
        elif c.source not in known.sources:
            known.sources.append(c.source)
    found: list[VulnerabilityMatch] = []
    not_comparable: list[Uncompared] = []
    unknown: list[Uncompared] = []
    cache: dict[tuple[str, str, str], _Entries] = {}
    source.prefetch((eco, pkg.name) for (eco, _, _), pkg in packages.items()
                    if eco in ORDERED_ECOSYSTEMS)
    for (eco, _, version), pkg in sorted(packages.items()):
        if eco not in ORDERED_ECOSYSTEMS:
            unknown.append(Uncompared(pkg.purl, f"no version ordering for ecosystem {eco!r}"))
            continue
        advisories = [a for a in source.advisories(eco, pkg.name) if not a.get("withdrawn")]
        try:
            version_key(eco, version)
            invalid = None
        except VersionError as exc:
            invalid = str(exc)
        matched: list[tuple[Mapping[str, Any], tuple[str, ...]]] = []
        undecided: dict[str, str] = {}
        wanted = normalize_name(eco, pkg.name)
        for advisory in advisories:
            entries, fixed = _entries(advisory, eco, wanted, cache)
            verdict, reason = _affects(entries, eco, version)
            if verdict is Verdict.AFFECTED:
                matched.append((advisory, fixed))
            elif verdict is Verdict.UNDETERMINED:
                undecided[str(advisory.get("id"))] = reason
        if invalid is not None or undecided:
            reasons = [invalid] if invalid else []
            reasons.extend(f"{i}: {why}" for i, why in sorted(undecided.items())[:1]
                           if invalid is None or invalid not in why)
            not_comparable.append(Uncompared(pkg.purl, "; ".join(reasons), tuple(sorted(undecided))))
        found.extend(_merge(matched, pkg, source))
    found.sort(key=lambda v: (v.ecosystem, v.name.lower(), v.version, v.id))
    per_ecosystem: dict[str, int] = {}
    for eco, _, _ in packages:
        if eco in ORDERED_ECOSYSTEMS:
            per_ecosystem[eco] = per_ecosystem.get(eco, 0) + 1
    return VulnerabilityReport(
        database=source.info,
        scanned_at=scanned_at,
        components=len(components),
        looked_up=len(packages) - len(unknown),
        vulnerabilities=tuple(found),
        not_comparable=tuple(not_comparable),
        unknown_ecosystem=tuple(unknown),
        lockfile_errors=tuple(lockfile_errors),
        ecosystems=tuple(sorted(per_ecosystem.items())),
    )


_Entries = tuple[tuple[Mapping[str, Any], ...], tuple[str, ...]]


def _entries(advisory: Mapping[str, Any], eco: str, wanted: str,
             cache: dict[tuple[str, str, str], _Entries]) -> _Entries:
    """The advisory's `affected` entries for this package, and the fixed versions they name."""
    key = (str(advisory.get("id")), eco, wanted)
    known = cache.get(key)
    if known is not None:
        return known
    entries: list[Mapping[str, Any]] = []
    fixed: list[str] = []
    for affected in advisory.get("affected") or ():
        package = affected.get("package") if isinstance(affected, dict) else None
        if not isinstance(package, dict):
            continue
        pkg_eco, pkg_name = package.get("ecosystem"), package.get("name")
        if not isinstance(pkg_eco, str) or not isinstance(pkg_name, str):
            continue
        if base_ecosystem(pkg_eco) != eco or normalize_name(eco, pkg_name) != wanted:
            continue
        entries.append(affected)
        for entry in affected.get("ranges") or ():
            if not isinstance(entry, dict) or entry.get("type") == "GIT":
                continue
            for event in entry.get("events") or ():
                if isinstance(event, dict) and isinstance(event.get("fixed"), str) \
                        and event["fixed"] not in fixed:
                    fixed.append(event["fixed"])
    cache[key] = (tuple(entries), tuple(fixed))
    return cache[key]


def _affects(entries: Sequence[Mapping[str, Any]], eco: str, version: str) -> tuple[Verdict, str]:
    verdict, reason = Verdict.NOT_AFFECTED, ""
    for affected in entries:
        decision = evaluate(affected, eco, version)
        if decision.verdict is Verdict.AFFECTED:
            return Verdict.AFFECTED, decision.reason
        if decision.verdict is Verdict.UNDETERMINED:
            verdict, reason = Verdict.UNDETERMINED, decision.reason
    return verdict, reason


def _merge(matched: Sequence[tuple[Mapping[str, Any], tuple[str, ...]]], pkg: _Package,
           source: AdvisorySource) -> list[VulnerabilityMatch]:
    if not matched:
        return []
    uf = _UnionFind()
    for advisory, _ in matched:
        advisory_id = str(advisory.get("id"))
        uf.find(advisory_id)
        for alias in advisory.get("aliases") or ():
            if isinstance(alias, str) and alias:
                uf.union(advisory_id, alias)
    groups: dict[str, list[tuple[Mapping[str, Any], tuple[str, ...]]]] = {}
    for item in matched:
        groups.setdefault(uf.find(str(item[0].get("id"))), []).append(item)
    out = []
    for group in groups.values():
        members = [a for a, _ in group]
        records = sorted(str(a.get("id")) for a in members)
        ids = set(records)
        for a in members:
            ids.update(x for x in a.get("aliases") or () if isinstance(x, str) and x)
        primary = primary_id(records)
        lead = next(a for a in members if a.get("id") == primary)
        fixed: list[str] = []
        for _, versions in group:
            fixed.extend(f for f in versions if f not in fixed)
        summaries = [str(a.get("summary") or "") for a in (lead, *members) if a.get("summary")]
        details = str(lead.get("details") or "").strip().splitlines()
        published = min((str(a["published"]) for a in members if a.get("published")), default=None)
        out.append(VulnerabilityMatch(
            id=primary,
            aliases=tuple(sorted(ids - {primary})),
            advisories=tuple(records),
            ecosystem=pkg.ecosystem,
            name=pkg.name,
            version=pkg.version,
            purl=pkg.purl,
            sources=tuple(sorted(pkg.sources)),
            rating=worst(source.rating(a) for a in members),
            summary=(summaries[0] if summaries else (details[0] if details else ""))[:300],
            fixed=tuple(fixed),
            modified=max(str(a.get("modified") or "") for a in members),
            published=published,
        ))
    return out
