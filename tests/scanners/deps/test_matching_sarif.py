"""Vulnerabilities as SARIF 2.1.0: valid against the official schema, one rule per vulnerability."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from evidencepack.scanners.deps.findings import vulnerability_sarif
from evidencepack.scanners.deps.matching import match_components
from evidencepack.scanners.deps.model import Component
from evidencepack.scanners.deps.osv_db import open_database
from evidencepack.scanners.deps.vex import apply_vex, load_vex

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"


def test_vulnerability_sarif_is_valid_and_keeps_vex_exceptions(tmp_path: Path) -> None:
    schema = json.loads((SHARED / "schemas" / "sarif-schema-2.1.0.json").read_text())
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)
    db = open_database(SHARED / "osv" / "npm", tmp_path / "cache")
    records = [json.loads(p.read_text()) for p in sorted((SHARED / "osv" / "npm").glob("*.json"))]
    components = []
    for r in records:
        pkg = r["affected"][0]["package"]["name"]
        components.append(Component("npm", pkg, "0.0.1", f"pkg:npm/{pkg}@0.0.1", "package-lock.json"))
    report = match_components(components, db, scanned_at="2026-11-26T00:00:00Z")
    assert len(report.vulnerabilities) >= 5
    first = report.vulnerabilities[0]
    vex_dir = tmp_path / ".evidencepack" / "vex"
    vex_dir.mkdir(parents=True)
    (vex_dir / "a.json").write_text(json.dumps({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://acme.example/vex/1",
        "author": "Acme", "timestamp": "2026-11-01T00:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": first.id}, "status": "not_affected",
                        "justification": "vulnerable_code_not_present"}]}))
    report = apply_vex(report, load_vex(tmp_path))
    log = vulnerability_sarif(report, "0.1.0")
    validator.validate(log)
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids == sorted({v.id for v in report.vulnerabilities})
    assert len(run["results"]) == len(report.vulnerabilities)
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == [first.id] * len(suppressed) and suppressed
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "package-lock.json"
               for r in run["results"])
    assert all(rule["helpUri"].startswith("https://osv.dev/vulnerability/")
               for rule in run["tool"]["driver"]["rules"])
