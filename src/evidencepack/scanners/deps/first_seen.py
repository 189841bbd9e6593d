"""When each vulnerability of this build was first seen: the earliest earlier pack with it.

Earlier packs of the same repository are read through the store's interface (their
`evidence/deps/vulnerabilities.json`), so a PostgreSQL/object-storage store answers the
same way as the folder store. A vulnerability is the same one when it shares an id (the
primary id or an alias) and the package (its Package URL without the version: moving to
another still-affected version does not restart the clock).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from ...model import instant
from ...store.interface import PackRecord, Store
from .components import purl_package
from .matching import VulnerabilityMatch, VulnerabilityReport
from .osv_db import iso

VULNERABILITIES_FILE = "evidence/deps/vulnerabilities.json"


@dataclass(frozen=True)
class Sighting:
    ids: frozenset[str]
    seen: datetime
    pack_id: str
    carried: bool
    """The pack recorded its own first-seen time, which already covers every pack before it."""


def package_of(purl: str) -> str:
    """The package a vulnerability was seen in, whatever its version."""
    return purl_package(purl)[0]


def pack_sightings(store: Store, record: PackRecord) -> tuple[dict[str, list[Sighting]], str | None]:
    """What one earlier pack recorded, by package; or why its report cannot be used."""
    raw = store.read_pack_file(record, VULNERABILITIES_FILE)
    found: dict[str, list[Sighting]] = {}
    if raw is None:
        return found, None
    try:
        entries = json.loads(raw)["vulnerabilities"]
        created = instant(record.created_at)
        if created is None:
            raise ValueError("no creation time")
        for entry in entries:
            ids = frozenset([entry["id"], *entry.get("aliases", [])])
            recorded = instant(entry.get("first_seen"))
            seen = min(created, recorded) if recorded else created
            package = package_of(entry["package"]["purl"])
            found.setdefault(package, []).append(Sighting(
                ids, seen, entry.get("first_seen_pack") or record.pack_id,
                recorded is not None))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return {}, (f"pack {record.pack_id}: {VULNERABILITIES_FILE} is unreadable ({exc}); its "
                    "vulnerabilities were not used for first-seen times")
    return found, None


def with_first_seen(report: VulnerabilityReport, store: Store, repository: str | None,
                    now: datetime) -> VulnerabilityReport:
    """The report with `first_seen` (and the pack it came from) set on every finding.

    Earlier packs are read newest first. Each report records the first-seen time its run
    found, so a vulnerability found in a pack with that record needs no older pack; one
    that no pack holds costs a read of every earlier report of the repository.
    """
    before = iso(now)
    records = [r for r in store.packs(repository)
               if r.repository == repository and r.created_at < before]
    pending = {i: (package_of(v.purl), v.ids) for i, v in enumerate(report.vulnerabilities)}
    best: dict[int, Sighting] = {}
    notes: list[str] = []
    for record in reversed(records):
        if not pending:
            break
        found, problem = pack_sightings(store, record)
        if problem:
            notes.append(problem)
            continue
        for i, (package, ids) in list(pending.items()):
            hits = [s for s in found.get(package, ()) if s.ids & ids]
            if not hits:
                continue
            first = min(hits, key=lambda s: (s.seen, s.pack_id))
            if i not in best or (first.seen, first.pack_id) < (best[i].seen, best[i].pack_id):
                best[i] = first
            if any(s.carried for s in hits):
                del pending[i]
    dated: list[VulnerabilityMatch] = []
    for i, vuln in enumerate(report.vulnerabilities):
        if i in best:
            dated.append(replace(vuln, first_seen=iso(best[i].seen),
                                 first_seen_pack=best[i].pack_id))
        else:
            dated.append(replace(vuln, first_seen=iso(now), first_seen_pack=None))
    return replace(report, vulnerabilities=tuple(dated), notes=(*report.notes, *notes))
