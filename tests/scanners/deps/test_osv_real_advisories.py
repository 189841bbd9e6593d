"""Matching against the real OSV advisories in shared/data/osv, derived from their own data.

For each sampled advisory the test reads, from the advisory alone, a version it declares
affected (a `last_affected` event, an explicit `versions` entry, or the version just below
a plain numeric `fixed`) and its `fixed` version, then asserts that the matcher, looking
the package up in the indexed database, reports the advisory for the first and not for
the second.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from evidencepack.scanners.deps.matching import match_components
from evidencepack.scanners.deps.model import Component
from evidencepack.scanners.deps.osv_db import OfflineDatabase, open_database

OSV = Path(__file__).resolve().parents[4] / "shared" / "data" / "osv"
_NUMERIC = re.compile(r"^\d+(\.\d+)*$")
PURL_TYPE = {"PyPI": "pypi", "Go": "golang", "crates.io": "cargo", "npm": "npm"}
PER_ECOSYSTEM = 120


@pytest.fixture(scope="session")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> OfflineDatabase:
    return open_database(OSV, tmp_path_factory.getbasetemp() / "osv-cache")


def _numeric(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def _lockfile_version(eco: str, version: str) -> str:
    return "v" + version if eco == "Go" else version


def _cases(advisory: dict[str, Any]) -> tuple[str, str, str, str | None, str] | None:
    """(ecosystem, name, an affected version, the fixed version or None, how it was derived)."""
    every_listed = {v for a in advisory.get("affected", []) for v in a.get("versions", []) or []}
    for affected in advisory.get("affected", []):
        package = affected.get("package", {})
        eco, name = package.get("ecosystem"), package.get("name")
        if eco not in PURL_TYPE:
            continue
        for rng in affected.get("ranges", []):
            if rng.get("type") not in ("SEMVER", "ECOSYSTEM"):
                continue
            events = rng["events"]
            introduced = [e["introduced"] for e in events if "introduced" in e]
            fixed = [e["fixed"] for e in events if "fixed" in e]
            last = [e["last_affected"] for e in events if "last_affected" in e]
            if len(introduced) != 1 or len(fixed) + len(last) != 1:
                continue
            fix = fixed[0] if fixed else None
            if fix is not None and fix in every_listed:
                continue
            if last:
                return eco, name, last[0], None, "last_affected"
            listed = affected.get("versions") or []
            if listed:
                return eco, name, listed[-1], fix, "versions"
            if fix is None or not _NUMERIC.match(fix):
                continue
            parts = list(_numeric(fix))
            if parts[-1] == 0:
                continue
            parts[-1] -= 1
            below = ".".join(str(p) for p in parts)
            start = introduced[0]
            if start != "0" and not (_NUMERIC.match(start) and _numeric(start) <= tuple(parts)):
                continue
            return eco, name, below, fix, "just below fixed"
    return None


def _sample() -> list[tuple[str, tuple[str, str, str, str | None, str]]]:
    chosen: list[tuple[str, tuple[str, str, str, str | None, str]]] = []
    taken: Counter[str] = Counter()
    files = sorted(p for p in OSV.rglob("*.json") if p.name.startswith(("GHSA", "GO", "RUSTSEC")))
    for path in files:
        advisory = json.loads(path.read_text(encoding="utf-8"))
        if advisory.get("withdrawn"):
            continue
        case = _cases(advisory)
        # `last_affected` is rare in the data: every such advisory is taken.
        if case and (taken[case[0]] < PER_ECOSYSTEM or case[4] == "last_affected"):
            taken[case[0]] += 1
            chosen.append((advisory["id"], case))
    return chosen


def _pypi_sample() -> list[tuple[str, tuple[str, str, str, str | None, str]]]:
    from evidencepack.yamltree import parse_yaml

    chosen = []
    for n, path in enumerate(sorted((OSV / "pypi" / "vulns").rglob("*.yaml"))):
        text = path.read_text(encoding="utf-8")
        if n % 10 and "last_affected" not in text:
            continue
        advisory = parse_yaml(text, source=str(path)).root
        if advisory.get("withdrawn"):
            continue
        case = _cases(advisory)
        if case and (len(chosen) < PER_ECOSYSTEM or case[4] == "last_affected"):
            chosen.append((advisory["id"], case))
    return chosen


SAMPLE = _sample() + _pypi_sample()


def test_sample_is_large_and_covers_every_ecosystem() -> None:
    ecosystems = Counter(case[0] for _, case in SAMPLE)
    assert len(SAMPLE) >= 200
    assert set(ecosystems) == set(PURL_TYPE), ecosystems
    assert {case[4] for _, case in SAMPLE} >= {"versions", "just below fixed", "last_affected"}


def test_last_affected_matches_and_fixed_does_not(real_db: OfflineDatabase) -> None:
    components = []
    expected: dict[tuple[str, str, str], tuple[str, bool]] = {}
    for advisory_id, (eco, name, affected, fixed, _) in SAMPLE:
        for version, hit in ((affected, True), (fixed, False)):
            if version is None:
                continue
            v = _lockfile_version(eco, version)
            purl = f"pkg:{PURL_TYPE[eco]}/{name}@{v}"
            components.append(Component(eco, name, v, purl, "lockfile"))
            expected[(advisory_id, purl, v)] = (advisory_id, hit)
    report = match_components(components, real_db, scanned_at="2026-11-26T00:00:00Z")
    reported = {(a, v.purl) for v in report.vulnerabilities for a in v.advisories}
    wrong = [key for key, (advisory_id, hit) in expected.items()
             if ((advisory_id, key[1]) in reported) != hit]
    checked = len(expected)
    assert checked >= 400
    assert not wrong, f"{len(wrong)} of {checked} wrong, e.g. {wrong[:5]}"
