"""When each vulnerability of this build was first seen: the earliest earlier pack with it.

Earlier packs of the same repository are read through the store's interface (their
`evidence/deps/vulnerabilities.json`), so a PostgreSQL/object-storage store answers the
same way as the folder store. A vulnerability is the same one when it shares an id (the
primary id or an alias) and the package (its Package URL without the version: moving to
another still-affected version does not restart the clock).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from ...store.interface import PackRecord, Store
from .matching import VulnerabilityMatch, VulnerabilityReport
from .osv_db import iso, parse_time

VULNERABILITIES_FILE = "evidence/deps/vulnerabilities.json"


@dataclass(frozen=True)
class Sighting:
    ids: frozenset[str]
    package: str
    """Package URL without version, qualifiers or subpath."""
    seen: datetime
    pack_id: str


def package_of(purl: str) -> str:
    core = purl.split("#", 1)[0].split("?", 1)[0]
    head, _, last = core.rpartition("/")
    return f"{head}/{last.partition('@')[0]}"


def sightings(store: Store, repository: str | None, before: str) -> tuple[list[Sighting], list[str]]:
    """What earlier packs of `repository` (created before `before`) recorded; and problems."""
    found: list[Sighting] = []
    notes: list[str] = []
    records: Iterable[PackRecord] = (r for r in store.packs(repository)
                                     if r.repository == repository and r.created_at < before)
    for record in records:
        raw = store.read_pack_file(record, VULNERABILITIES_FILE)
        if raw is None:
            continue
        try:
            doc = json.loads(raw)
            entries = doc["vulnerabilities"]
            created = parse_time(record.created_at)
            if created is None:
                raise ValueError("no creation time")
            for entry in entries:
                ids = frozenset([entry["id"], *entry.get("aliases", [])])
                recorded = parse_time(entry.get("first_seen"))
                seen = min(created, recorded) if recorded else created
                found.append(Sighting(ids, package_of(entry["package"]["purl"]), seen,
                                      entry.get("first_seen_pack") or record.pack_id))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            notes.append(f"pack {record.pack_id}: {VULNERABILITIES_FILE} is unreadable ({exc}); "
                         "its vulnerabilities were not used for first-seen times")
    return found, notes


def with_first_seen(report: VulnerabilityReport, store: Store, repository: str | None,
                    now: datetime) -> VulnerabilityReport:
    """The report with `first_seen` (and the pack it came from) set on every finding."""
    found, notes = sightings(store, repository, iso(now))
    index: dict[str, list[Sighting]] = {}
    for s in found:
        index.setdefault(s.package, []).append(s)
    dated: list[VulnerabilityMatch] = []
    for vuln in report.vulnerabilities:
        earlier = [s for s in index.get(package_of(vuln.purl), ()) if s.ids & vuln.ids]
        if earlier:
            first = min(earlier, key=lambda s: (s.seen, s.pack_id))
            dated.append(replace(vuln, first_seen=iso(first.seen), first_seen_pack=first.pack_id))
        else:
            dated.append(replace(vuln, first_seen=iso(now), first_seen_pack=None))
    return replace(report, vulnerabilities=tuple(dated), notes=(*report.notes, *notes))
