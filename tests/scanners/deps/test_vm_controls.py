"""VM-1 (scan against a fresh database, covering the inventory) and VM-2 (SLA of open
vulnerabilities, first seen in earlier packs of a real LocalStore, VEX exceptions)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from evidencepack.controls.base import Evidence
from evidencepack.controls.registry import CONTROLS, evaluate
from evidencepack.model import ControlResult, Status, Subject
from evidencepack.policy import default_policy
from evidencepack.scanners.deps.first_seen import VULNERABILITIES_FILE, with_first_seen
from evidencepack.scanners.deps.matching import VulnerabilityReport, match_components
from evidencepack.scanners.deps.model import Component
from evidencepack.scanners.deps.osv_db import OfflineDatabase, iso, open_database
from evidencepack.scanners.deps.vex import apply_vex, load_vex
from evidencepack.store.interface import PackRecord
from evidencepack.store.local import LocalStore

MODIFIED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REPO = "acme/shop"
CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
MEDIUM = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"


def _advisory(id_: str, name: str, fixed: str, vector: str | None, aliases: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": id_, "modified": iso(MODIFIED), "aliases": aliases, "summary": f"bug in {name}",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]}
    if vector:
        record["severity"] = [{"type": "CVSS_V3", "score": vector}]
    return record


@pytest.fixture
def db(tmp_path: Path) -> OfflineDatabase:
    folder = tmp_path / "osv"
    folder.mkdir()
    for record in (
        _advisory("GHSA-crit-0000-0001", "jinja2", "3.0.0", CRITICAL, ["CVE-2026-0001"]),
        _advisory("PYSEC-2026-10", "jinja2", "3.0.0", None, ["CVE-2026-0001"]),
        _advisory("GHSA-medi-0000-0002", "pyyaml", "6.0", MEDIUM, []),
        _advisory("PYSEC-2026-11", "oldlib", "2.0", None, []),
    ):
        (folder / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    return open_database(folder, tmp_path / "cache")


def _components(jinja: str = "2.11.0") -> list[Component]:
    return [Component("PyPI", "jinja2", jinja, f"pkg:pypi/jinja2@{jinja}", "requirements.txt"),
            Component("PyPI", "pyyaml", "5.4", "pkg:pypi/pyyaml@5.4", "requirements.txt"),
            Component("PyPI", "oldlib", "1.0", "pkg:pypi/oldlib@1.0", "requirements.txt"),
            Component("PyPI", "weird", "not a version", "pkg:pypi/weird@x", "requirements.txt"),
            Component("Hex", "plug", "1.0.0", "pkg:hex/plug@1.0.0", "mix.lock")]


def _evidence(report: VulnerabilityReport | None, now: datetime, **extra: Any) -> Evidence:
    return Evidence(subject=Subject(repository=REPO, commit="0" * 40), policy=default_policy(),
                    today=now.date(), vulnerabilities=report, **extra)


def _result(control_id: str, evidence: Evidence) -> ControlResult:
    return evaluate(next(c for c in CONTROLS if c.id == control_id), evidence)


def test_vm1_passes_on_a_fresh_database_and_lists_what_it_could_not_compare(db: OfflineDatabase) -> None:
    now = MODIFIED + timedelta(hours=3)
    report = match_components(_components(), db, scanned_at=iso(now))
    result = _result("VM-1", _evidence(report, now))
    assert result.status is Status.PASS, result.rationale
    assert "5 components (4 distinct package versions)" in result.rationale
    rules = sorted(f.rule for f in result.findings)
    assert rules == ["unknown-ecosystem", "version-not-comparable"]
    assert result.evidence == ("evidence/deps/vulnerabilities.json",)


def test_vm1_fails_on_a_stale_database(db: OfflineDatabase) -> None:
    now = MODIFIED + timedelta(hours=25)
    report = match_components(_components(), db, scanned_at=iso(now))
    result = _result("VM-1", _evidence(report, now))
    assert result.status is Status.FAIL
    assert "25 hours old (more than 24)" in result.rationale
    assert result.findings[0].rule == "stale-database"


def test_vm1_errors_without_a_readable_database_or_with_unread_lockfiles(db: OfflineDatabase) -> None:
    now = MODIFIED + timedelta(hours=1)
    unreadable = _result("VM-1", _evidence(None, now, vulnerability_error="/db: cannot read"))
    assert unreadable.status is Status.ERROR and "/db: cannot read" in unreadable.rationale
    report = match_components(_components(), db, scanned_at=iso(now),
                              lockfile_errors=["poetry.lock: invalid TOML at line 3"])
    partial = _result("VM-1", _evidence(report, now))
    assert partial.status is Status.ERROR
    assert partial.findings[0].rule == "lockfile-not-scanned"
    assert partial.findings[0].location is not None
    assert partial.findings[0].location.path == "poetry.lock"


def _pack(store: LocalStore, now: datetime, report: VulnerabilityReport) -> PackRecord:
    pack_id = now.strftime("%Y%m%dT%H%M%SZ") + "-0000abcd"
    folder = store.packs_dir / pack_id / "evidence" / "deps"
    folder.mkdir(parents=True)
    (folder / "vulnerabilities.json").write_text(json.dumps(report.to_json()), encoding="utf-8")
    record = PackRecord(pack_id, REPO, "0" * 40, "main", iso(now), None, {}, "0" * 64,
                        str(store.packs_dir / pack_id))
    store.record(record)
    return record


def _build(store: LocalStore, db: OfflineDatabase, now: datetime, jinja: str = "2.11.0",
           repo: Path | None = None) -> VulnerabilityReport:
    """One build's report, as `run` makes it: match, VEX, first-seen; kept as a pack."""
    report = match_components(_components(jinja), db, scanned_at=iso(now))
    if repo is not None:
        report = apply_vex(report, load_vex(repo))
    report = with_first_seen(report, store, REPO, now)
    _pack(store, now, report)
    return report


def test_vm2_ages_open_vulnerabilities_across_packs(tmp_path: Path, db: OfflineDatabase) -> None:
    store = LocalStore(tmp_path / "store")
    day0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    first = _build(store, db, day0)
    result = _result("VM-2", _evidence(first, day0))
    assert result.status is Status.PASS, result.rationale
    crit = next(f for f in result.findings if "GHSA-crit-0000-0001" in f.message)
    assert crit.rule == "sla-open"
    assert "no earlier pack of the store contains it" in crit.message
    assert "deadline 2026-11-17" in crit.message
    # The same vulnerability 10 days later, after an upgrade to a still-affected version.
    day10 = day0 + timedelta(days=10)
    later = _build(store, db, day10, jinja="2.11.3")
    vuln = next(v for v in later.vulnerabilities if v.id == "GHSA-crit-0000-0001")
    assert vuln.first_seen == iso(day0)
    assert vuln.first_seen_pack == store.packs(REPO)[0].pack_id
    assert _result("VM-2", _evidence(later, day10)).status is Status.PASS
    # Past the 15 days of a critical one.
    day16 = day0 + timedelta(days=16)
    overdue = _build(store, db, day16, jinja="2.11.3")
    result = _result("VM-2", _evidence(overdue, day16))
    assert result.status is Status.FAIL
    late = [f for f in result.findings if f.rule == "sla-overdue"]
    assert len(late) == 1 and "open 16 day(s); SLA 15 days, deadline 2026-11-17" in late[0].message
    assert "CVE-2026-0001" in late[0].message and "PYSEC-2026-10" in late[0].message
    # Medium ones are not judged; unrated ones are listed as such.
    assert any(f.rule == "severity-unknown" and "oldlib" in f.message for f in result.findings)
    assert not any("pyyaml" in f.message for f in result.findings)
    assert "without a CVSS vector or rating not judged against the SLA" in result.rationale


def test_vm2_first_seen_ignores_other_repositories_and_later_packs(tmp_path: Path,
                                                                   db: OfflineDatabase) -> None:
    store = LocalStore(tmp_path / "store")
    old = datetime(2026, 9, 1, tzinfo=UTC)
    report = match_components(_components(), db, scanned_at=iso(old))
    other = _pack(store, old, with_first_seen(report, store, REPO, old))
    # Recorded under another repository: must not date this one's vulnerabilities.
    store.record(replace(other, pack_id="x-other", repository="acme/other"))
    now = datetime(2026, 11, 20, tzinfo=UTC)
    dated = with_first_seen(report, store, "acme/elsewhere", now)
    assert {v.first_seen for v in dated.vulnerabilities} == {iso(now)}
    corrupt = store.packs_dir / "corrupt"
    (corrupt / "evidence" / "deps").mkdir(parents=True)
    (corrupt / VULNERABILITIES_FILE).write_text("{not json")
    store.record(PackRecord("corrupt", REPO, "1" * 40, "main", iso(old + timedelta(days=1)),
                            None, {}, "0" * 64, str(corrupt)))
    noted = with_first_seen(report, store, REPO, now)
    assert {v.first_seen for v in noted.vulnerabilities} == {iso(old)}
    assert any("pack corrupt" in n for n in noted.notes)


def _vex(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://acme.example/vex/1",
            "author": "Acme Security", "timestamp": "2026-11-03T00:00:00Z", "version": 1,
            "statements": statements}


def test_vm2_vex_not_affected_stays_listed_but_does_not_count(tmp_path: Path,
                                                             db: OfflineDatabase) -> None:
    repo = tmp_path / "repo"
    (repo / ".evidencepack" / "vex").mkdir(parents=True)
    (repo / ".evidencepack" / "vex" / "jinja.json").write_text(json.dumps(_vex([{
        "vulnerability": {"name": "CVE-2026-0001"},
        "products": [{"@id": "pkg:pypi/jinja2"}],
        "status": "not_affected",
        "justification": "vulnerable_code_not_in_execute_path",
    }])))
    store = LocalStore(tmp_path / "store")
    day0 = datetime(2026, 11, 2, tzinfo=UTC)
    _build(store, db, day0, repo=repo)
    day30 = day0 + timedelta(days=30)
    report = _build(store, db, day30, repo=repo)
    vuln = next(v for v in report.vulnerabilities if v.id == "GHSA-crit-0000-0001")
    assert vuln.status == "not_affected" and not vuln.open
    assert vuln.vex is not None and vuln.vex["document"] == ".evidencepack/vex/jinja.json"
    result = _result("VM-2", _evidence(report, day30))
    assert result.status is Status.PASS, result.rationale
    listed = [f for f in result.findings if f.rule == "vex-not-counted"]
    assert len(listed) == 1 and "vulnerable_code_not_in_execute_path" in listed[0].message
    assert "1 not counted by VEX statements" in result.rationale


def test_vm2_invalid_vex_is_an_error_not_ignored(tmp_path: Path, db: OfflineDatabase) -> None:
    repo = tmp_path / "repo"
    (repo / ".evidencepack" / "vex").mkdir(parents=True)
    # not_affected without a justification or impact statement: invalid OpenVEX.
    (repo / ".evidencepack" / "vex" / "bad.json").write_text(json.dumps(_vex([{
        "vulnerability": {"name": "CVE-2026-0001"}, "status": "not_affected"}])))
    now = datetime(2026, 11, 2, tzinfo=UTC)
    report = apply_vex(match_components(_components(), db, scanned_at=iso(now)), load_vex(repo))
    assert all(v.open for v in report.vulnerabilities)
    result = _result("VM-2", _evidence(report, now))
    assert result.status is Status.ERROR
    assert result.findings[0].rule == "vex-invalid"
    assert ".evidencepack/vex/bad.json: not valid OpenVEX 0.2.0 at statements/0" in result.rationale


def test_vm2_without_a_report_is_an_error() -> None:
    now = datetime(2026, 11, 2, tzinfo=UTC)
    result = _result("VM-2", _evidence(None, now))
    assert result.status is Status.ERROR
    assert "cannot be computed" in result.rationale


def test_vm1_judges_each_ecosystem_in_use(tmp_path: Path) -> None:
    folder = tmp_path / "osv"
    folder.mkdir()
    fresh = _advisory("PYSEC-2026-20", "jinja2", "3.0.0", None, [])
    old = {**_advisory("GHSA-npm0-0000-0001", "left-pad", "2.0.0", None, []),
           "modified": iso(MODIFIED - timedelta(days=40))}
    old["affected"][0]["package"]["ecosystem"] = "npm"
    for record in (fresh, old):
        (folder / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    db = open_database(folder, tmp_path / "cache")
    assert db.info.ecosystems == {"PyPI": iso(MODIFIED), "npm": iso(MODIFIED - timedelta(days=40))}
    now = MODIFIED + timedelta(hours=2)
    pypi_only = match_components(_components()[:1], db, scanned_at=iso(now))
    assert _result("VM-1", _evidence(pypi_only, now)).status is Status.PASS
    mixed = match_components([
        *_components()[:1],
        Component("npm", "left-pad", "1.0.0", "pkg:npm/left-pad@1.0.0", "package-lock.json"),
        Component("Go", "golang.org/x/net", "v0.1.0", "pkg:golang/golang.org/x/net@v0.1.0", "go.mod"),
    ], db, scanned_at=iso(now))
    result = _result("VM-1", _evidence(mixed, now))
    assert result.status is Status.FAIL
    by_rule = {f.rule: f.message for f in result.findings}
    assert "npm advisories" in by_rule["stale-database"]
    assert "holds no Go advisory" in by_rule["ecosystem-not-covered"]
    assert "962 hours old" in result.rationale


def test_first_seen_reads_back_only_as_far_as_needed(tmp_path: Path, db: OfflineDatabase) -> None:
    store = LocalStore(tmp_path / "store")
    day = datetime(2026, 10, 1, tzinfo=UTC)
    # The oldest pack's report is damaged; two later packs carry the first-seen time.
    broken = store.packs_dir / "broken"
    (broken / "evidence" / "deps").mkdir(parents=True)
    (broken / VULNERABILITIES_FILE).write_text("{not json")
    store.record(PackRecord("broken", REPO, "1" * 40, "main", iso(day), None, {}, "0" * 64,
                            str(broken)))
    first = _build(store, db, day + timedelta(days=1))
    _build(store, db, day + timedelta(days=2))
    now = day + timedelta(days=3)
    dated = with_first_seen(match_components(_components(), db, scanned_at=iso(now)), store,
                            REPO, now)
    assert {v.first_seen for v in dated.vulnerabilities} == {iso(day + timedelta(days=1))}
    assert {v.first_seen_pack for v in dated.vulnerabilities} == {store.packs(REPO)[1].pack_id}
    assert first.vulnerabilities and dated.notes == ()  # the damaged oldest pack was not needed
    # A report without recorded first-seen times (another writer) makes the search go on.
    plain = store.packs_dir / "plain"
    (plain / "evidence" / "deps").mkdir(parents=True)
    entries = [{"id": v.id, "aliases": list(v.aliases), "package": {"purl": v.purl}}
               for v in first.vulnerabilities]
    (plain / VULNERABILITIES_FILE).write_text(json.dumps({"vulnerabilities": entries}))
    store.record(PackRecord("plain", REPO, "2" * 40, "main", iso(day + timedelta(days=2, hours=1)),
                            None, {}, "0" * 64, str(plain)))
    again = with_first_seen(match_components(_components(), db, scanned_at=iso(now)), store,
                            REPO, now)
    assert {v.first_seen for v in again.vulnerabilities} == {iso(day + timedelta(days=1))}


def test_neither_control_passes_on_a_scan_that_did_not_cover_the_inventory(db: OfflineDatabase) -> None:
    """Nothing looked up (only an ecosystem evidencepack cannot match), or a lockfile unread:
    VM-1 and VM-2 are error, not pass."""
    now = MODIFIED + timedelta(hours=1)
    hex_only = [Component("Hex", "plug", "1.0.0", "pkg:hex/plug@1.0.0", "mix.lock")]
    nothing = _evidence(match_components(hex_only, db, scanned_at=iso(now)), now)
    vm1 = _result("VM-1", nothing)
    assert vm1.status is Status.ERROR and "nothing was looked up" in vm1.rationale
    assert _result("VM-2", nothing).status is Status.ERROR
    partial = _evidence(match_components(_components("3.1.4"), db, scanned_at=iso(now),
                                         lockfile_errors=["poetry.lock: invalid TOML at line 3"]), now)
    vm2 = _result("VM-2", partial)
    assert vm2.status is Status.ERROR
    assert "did not cover the whole inventory" in vm2.rationale
    assert any(f.rule == "lockfile-not-scanned" for f in vm2.findings)
