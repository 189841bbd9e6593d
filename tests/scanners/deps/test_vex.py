"""OpenVEX statements: which findings they decide, in which order, and invalid documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evidencepack.model import Severity
from evidencepack.scanners.deps.matching import VulnerabilityMatch, VulnerabilityReport
from evidencepack.scanners.deps.osv_db import DatabaseInfo
from evidencepack.scanners.deps.severity import Rating
from evidencepack.scanners.deps.vex import apply_vex, load_vex

SCHEMA_NAME = "openvex_json_schema.json"
SHARED_SCHEMA = Path(__file__).resolve().parents[4] / "shared" / "data" / "schemas" / SCHEMA_NAME
PACKAGED = Path(__file__).resolve().parents[3] / "src" / "evidencepack" / "data" / SCHEMA_NAME


def _vuln(id_: str, aliases: tuple[str, ...], name: str, version: str) -> VulnerabilityMatch:
    return VulnerabilityMatch(
        id=id_, aliases=aliases, advisories=(id_,), ecosystem="npm", name=name, version=version,
        purl=f"pkg:npm/{name.replace('@', '%40')}@{version}", sources=("package-lock.json",),
        rating=Rating(Severity.HIGH, 7.5, "x"), summary="s", fixed=(), modified="m", published=None)


def _report(*vulns: VulnerabilityMatch) -> VulnerabilityReport:
    info = DatabaseInfo("offline", "db", 1, "2026-11-01T00:00:00Z")
    return VulnerabilityReport(info, "2026-11-02T00:00:00Z", len(vulns), len(vulns), tuple(vulns))


def _write(repo: Path, name: str, statements: list[dict[str, Any]], timestamp: str) -> None:
    folder = repo / ".evidencepack" / "vex"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": f"https://acme.example/vex/{name}",
        "author": "Acme", "timestamp": timestamp, "version": 1, "statements": statements}))


def test_the_packaged_schema_is_the_official_one() -> None:
    assert json.loads(PACKAGED.read_text()) == json.loads(SHARED_SCHEMA.read_text())


def test_statuses_products_aliases_and_precedence(tmp_path: Path) -> None:
    lodash = _vuln("GHSA-p6mc-m468-83gw", ("CVE-2020-8203",), "lodash", "4.17.15")
    babel = _vuln("GHSA-67hx-6x53-jw92", ("CVE-2023-45133",), "@babel/traverse", "7.22.0")
    other = _vuln("GHSA-aaaa-bbbb-cccc", (), "lodash", "4.17.15")
    minimist = _vuln("GHSA-xvch-5gv4-984h", ("CVE-2021-44906",), "minimist", "1.2.5")
    _write(tmp_path, "a.json", [
        # By alias, versioned purl of the package itself.
        {"vulnerability": {"name": "CVE-2020-8203"}, "products": [{"@id": "pkg:npm/lodash@4.17.15"}],
         "status": "under_investigation"},
        # Subcomponent of the application, by identifiers.purl, without version.
        {"vulnerability": {"name": "GHSA-67hx-6x53-jw92"},
         "products": [{"@id": "pkg:github/acme/shop", "subcomponents": [
             {"identifiers": {"purl": "pkg:npm/%40babel/traverse"}}]}],
         "status": "fixed"},
        # Another version: does not apply.
        {"vulnerability": {"name": "GHSA-xvch-5gv4-984h"}, "products": [{"@id": "pkg:npm/minimist@1.2.6"}],
         "status": "not_affected", "justification": "component_not_present"},
    ], "2026-11-01T00:00:00Z")
    # A later statement overrides the earlier one for lodash.
    _write(tmp_path, "b.json", [
        {"vulnerability": {"name": "GHSA-p6mc-m468-83gw", "aliases": ["CVE-2020-8203"]},
         "products": [{"@id": "pkg:npm/lodash"}], "status": "not_affected",
         "impact_statement": "zipObjectDeep is never called"},
    ], "2026-11-05T00:00:00Z")
    vex = load_vex(tmp_path)
    assert vex.errors == () and len(vex.statements) == 4
    report = apply_vex(_report(lodash, babel, other, minimist), vex)
    decided = {(v.id, v.name): v for v in report.vulnerabilities}
    assert decided[("GHSA-p6mc-m468-83gw", "lodash")].status == "not_affected"
    assert decided[("GHSA-p6mc-m468-83gw", "lodash")].vex == {
        "document": ".evidencepack/vex/b.json", "statement": 0, "status": "not_affected",
        "justification": None, "impact_statement": "zipObjectDeep is never called",
        "action_statement": None, "timestamp": "2026-11-05T00:00:00Z"}
    assert decided[("GHSA-67hx-6x53-jw92", "@babel/traverse")].status == "fixed"
    assert not decided[("GHSA-67hx-6x53-jw92", "@babel/traverse")].open
    assert decided[("GHSA-aaaa-bbbb-cccc", "lodash")].status == "affected"
    assert decided[("GHSA-xvch-5gv4-984h", "minimist")].status == "affected"


def test_affected_and_under_investigation_stay_open(tmp_path: Path) -> None:
    vuln = _vuln("GHSA-xvch-5gv4-984h", (), "minimist", "1.2.5")
    _write(tmp_path, "a.json", [{"vulnerability": {"name": "GHSA-xvch-5gv4-984h"},
                                 "status": "affected", "action_statement": "upgrade by Friday"}],
           "2026-11-01T00:00:00Z")
    decided = apply_vex(_report(vuln), load_vex(tmp_path)).vulnerabilities[0]
    assert decided.status == "affected" and decided.open
    assert decided.vex is not None and decided.vex["action_statement"] == "upgrade by Friday"
    finding = decided.to_finding()
    assert finding.allowed_by is None


def test_invalid_documents_are_reported_and_not_applied(tmp_path: Path) -> None:
    vuln = _vuln("GHSA-xvch-5gv4-984h", (), "minimist", "1.2.5")
    _write(tmp_path, "a.json", [{"vulnerability": {"name": "GHSA-xvch-5gv4-984h"},
                                 "status": "affected"}], "2026-11-01T00:00:00Z")
    (tmp_path / ".evidencepack" / "vex" / "b.json").write_text("{oops")
    _write(tmp_path, "c.json", [{"vulnerability": {"name": "GHSA-xvch-5gv4-984h"},
                                 "status": "not_affected", "justification": "because"}],
           "2026-11-01T00:00:00Z")
    vex = load_vex(tmp_path)
    assert vex.statements == ()
    assert [e.split(":", 1)[0] for e in vex.errors] == [
        ".evidencepack/vex/a.json", ".evidencepack/vex/b.json", ".evidencepack/vex/c.json"]
    assert "action_statement" in vex.errors[0]
    assert "invalid JSON" in vex.errors[1]
    assert "justification" in vex.errors[2]
    report = apply_vex(_report(vuln), vex)
    assert report.vulnerabilities[0].open and report.vex_errors == vex.errors


def test_not_affected_finding_is_a_recorded_exception(tmp_path: Path) -> None:
    vuln = _vuln("GHSA-xvch-5gv4-984h", (), "minimist", "1.2.5")
    _write(tmp_path, "a.json", [{"vulnerability": {"name": "GHSA-xvch-5gv4-984h"},
                                 "status": "not_affected",
                                 "justification": "vulnerable_code_not_present"}],
           "2026-11-01T00:00:00Z")
    finding = apply_vex(_report(vuln), load_vex(tmp_path)).vulnerabilities[0].to_finding()
    assert finding.allowed_by == ("VEX not_affected: vulnerable_code_not_present "
                                  "(.evidencepack/vex/a.json)")
