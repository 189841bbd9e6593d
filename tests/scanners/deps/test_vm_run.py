"""`run` and `scan deps` with advisory data: the report in the pack, VM-1/VM-2 across runs of
a real store at injected dates, and the command's formats and exit codes."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from evidencepack.cli import main
from evidencepack.pack.verify import verify_pack
from evidencepack.run import RunOptions, RunOutcome, run
from evidencepack.scanners.deps.osv_db import iso

from ...conftest import git
from .conftest import LOCKFILES, SCHEMAS

OSV = SCHEMAS.parent / "osv"
DAY0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
REQUIREMENTS = "jinja2==2.11.0\nrequests==2.31.0\n"


def _db(folder: Path, modified: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    record = {"id": "GHSA-jjjj-0000-0001", "modified": iso(modified), "aliases": ["CVE-2026-1111"],
              "summary": "template sandbox escape",
              "severity": [{"type": "CVSS_V3", "score": CRITICAL}],
              "affected": [{"package": {"ecosystem": "PyPI", "name": "Jinja2"},
                            "ranges": [{"type": "ECOSYSTEM",
                                        "events": [{"introduced": "0"}, {"fixed": "3.1.5"}]}]}]}
    (folder / "GHSA-jjjj-0000-0001.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


def _run(repo: Path, store: Path, now: datetime, cache: Path, **options: Any) -> RunOutcome:
    return run(RunOptions(path=repo, store=store, **options), env={"XDG_CACHE_HOME": str(cache)},
               clock=lambda: now, random=lambda n: b"\x03" * n)


def _status(outcome: RunOutcome, control: str) -> tuple[str, str]:
    result = next(r for r in outcome.results if r.control_id == control)
    return str(result.status), result.rationale


def test_run_keeps_the_report_and_ages_vulnerabilities_across_packs(
        make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None) -> None:
    repo = make_repo({"requirements.txt": REQUIREMENTS})
    db = _db(tmp_path / "osv", DAY0 - timedelta(hours=2))
    store, cache = tmp_path / "store", tmp_path / "cache"
    first = _run(repo, store, DAY0, cache, osv_db=db)
    assert _status(first, "VM-1")[0] == "pass", _status(first, "VM-1")
    assert _status(first, "VM-2")[0] == "pass"
    report = json.loads((first.pack.directory / "evidence/deps/vulnerabilities.json").read_text())
    [vuln] = report["vulnerabilities"]
    assert (vuln["id"], vuln["package"]["purl"], vuln["severity"]) == (
        "GHSA-jjjj-0000-0001", "pkg:pypi/jinja2@2.11.0", "critical")
    assert vuln["first_seen"] == iso(DAY0) and vuln["first_seen_pack"] is None
    sarif = json.loads((first.pack.directory / "evidence/deps/vulnerabilities.sarif.json").read_text())
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    assert verify_pack(first.pack.directory, None).ok
    # Twenty days later, another commit, the same database: stale for VM-1, overdue for VM-2.
    (repo / "README.md").write_text("more\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "docs")
    later = _run(repo, store, DAY0 + timedelta(days=20), cache, osv_db=db)
    status, why = _status(later, "VM-1")
    assert status == "fail" and "hours old (more than 24)" in why
    status, why = _status(later, "VM-2")
    assert status == "fail" and f"in pack {first.pack.pack_id}" in why
    assert "open 20 day(s); SLA 15 days, deadline 2026-11-17" in why


def test_run_with_an_unreadable_database_is_an_error_not_a_pass(
        make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None) -> None:
    repo = make_repo({"requirements.txt": REQUIREMENTS})
    outcome = _run(repo, tmp_path / "store", DAY0, tmp_path / "cache", osv_db=tmp_path / "nowhere")
    status, why = _status(outcome, "VM-1")
    assert status == "error" and "cannot read the advisory database" in why
    assert _status(outcome, "VM-2")[0] == "error"
    assert not (outcome.pack.directory / "evidence/deps/vulnerabilities.json").exists()


def test_policy_names_the_database(make_repo: Callable[..., Path], tmp_path: Path,
                                   ci_free_env: None) -> None:
    repo = make_repo({"requirements.txt": REQUIREMENTS,
                      "evidencepack.yml": "vulnerabilities:\n  osv_db: advisories\n"})
    _db(repo / "advisories", DAY0 - timedelta(hours=1))
    outcome = _run(repo, tmp_path / "store", DAY0, tmp_path / "cache")
    assert _status(outcome, "VM-1")[0] == "pass"


def invoke(*args: str | Path, cache: Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False,
                              env={"XDG_CACHE_HOME": str(cache), "EVIDENCEPACK_OSV_DB": None})


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("osv-cache")


def test_scan_deps_against_real_advisories(cache: Path) -> None:
    out = invoke("scan", "deps", LOCKFILES / "requirements-compiled", "--osv-db", OSV / "pypi",
                 "--format", "json", cache=cache)
    assert out.exit_code == 1, out.output  # open vulnerabilities
    document = json.loads(out.stdout)
    assert document["component_count"] == len(document["components"])
    vulns = document["vulnerabilities"]
    django = [v for v in vulns["vulnerabilities"] if v["package"]["name"].lower() == "django"]
    assert django and all(v["package"]["version"] == "4.2.11" for v in django)
    assert all(v["id"].startswith(("GHSA-", "PYSEC-")) for v in django)
    assert vulns["database"]["advisories"] > 2000
    table = invoke("scan", "deps", LOCKFILES / "requirements-compiled", "--osv-db", OSV / "pypi",
                   cache=cache)
    assert f"{vulns['summary']['total']} vulnerability(ies), {vulns['summary']['open']} open" in (
        table.stdout.replace("\n", " "))


def test_scan_deps_sarif_is_valid(cache: Path) -> None:
    out = invoke("scan", "deps", LOCKFILES / "requirements-compiled", "--osv-db", OSV / "pypi",
                 "--format", "sarif", cache=cache)
    log = json.loads(out.stdout)
    jsonschema.validate(log, json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text()))
    assert log["runs"][0]["results"]


def test_scan_deps_errors_are_one_line(cache: Path, tmp_path: Path) -> None:
    sarif = invoke("scan", "deps", LOCKFILES / "cargo", "--format", "sarif", cache=cache)
    assert sarif.exit_code == 2 and "--format sarif lists vulnerabilities" in sarif.stderr
    bomb = tmp_path / "all.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../evil.json", "{}")
    hostile = invoke("scan", "deps", LOCKFILES / "cargo", "--osv-db", bomb, cache=cache)
    assert hostile.exit_code == 2
    assert "refused as hostile" in hostile.stderr and "Traceback" not in hostile.output
    both = invoke("scan", "deps", LOCKFILES / "cargo", "--osv-db", bomb, "--online", cache=cache)
    assert both.exit_code == 2 and "exclude each other" in both.stderr
