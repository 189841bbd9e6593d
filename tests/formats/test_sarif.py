"""SARIF output: valid against the official 2.1.0 schema and shaped for GitHub code scanning."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import jsonschema
import pytest

from evidencepack.formats.sarif import (
    REPOSITORY_LEVEL_URI,
    SRCROOT,
    RuleInfo,
    sarif_log,
)
from evidencepack.model import Finding, Location, PackContent, Severity


def _findings(content: PackContent) -> list[Finding]:
    return [f for r in content.results for f in r.findings]


def _run(log: dict[str, Any]) -> dict[str, Any]:
    runs = log["runs"]
    assert len(runs) == 1
    run: dict[str, Any] = runs[0]
    return run


def _only_result(finding: Finding) -> dict[str, Any]:
    result: dict[str, Any] = _run(sarif_log([finding], tool_version="0.1.0"))["results"][0]
    return result


def test_sample_is_valid_sarif(
    pack_content: PackContent, sarif_validator: jsonschema.protocols.Validator
) -> None:
    log = sarif_log(_findings(pack_content), tool_version=pack_content.tool_version)

    sarif_validator.validate(log)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")


def test_empty_log_is_valid(sarif_validator: jsonschema.protocols.Validator) -> None:
    log = sarif_log([], tool_version="0.1.0")

    sarif_validator.validate(log)
    assert _run(log)["results"] == []
    assert _run(log)["tool"]["driver"]["rules"] == []


def test_driver_identifies_evidencepack(pack_content: PackContent) -> None:
    driver = _run(sarif_log(_findings(pack_content), tool_version="0.1.0"))["tool"]["driver"]

    assert driver["name"] == "evidencepack"
    assert driver["version"] == "0.1.0"
    assert driver["semanticVersion"] == "0.1.0"
    assert driver["informationUri"] == "https://evidencepack.dev"


def test_non_semver_version_is_not_claimed_semantic() -> None:
    driver = _run(sarif_log([], tool_version="0.1.dev3+g1a2b3c"))["tool"]["driver"]

    assert driver["version"] == "0.1.dev3+g1a2b3c"
    assert "semanticVersion" not in driver


def test_every_result_points_at_its_rule(pack_content: PackContent) -> None:
    run = _run(sarif_log(_findings(pack_content), tool_version="0.1.0"))
    rules = run["tool"]["driver"]["rules"]

    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    assert len(run["results"]) == len(_findings(pack_content))
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_rules_carry_what_github_requires(pack_content: PackContent) -> None:
    rules = _run(sarif_log(_findings(pack_content), tool_version="0.1.0"))["tool"]["driver"]["rules"]

    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert "security" in rule["properties"]["tags"]
        assert re.fullmatch(r"\d+\.\d", rule["properties"]["security-severity"])
    unpinned = next(r for r in rules if r["id"] == "zizmor/unpinned-uses")
    assert unpinned["helpUri"] == "https://docs.zizmor.sh/audits/#unpinned-uses"
    assert "(https://docs.zizmor.sh/audits/#unpinned-uses)" in unpinned["help"]["markdown"]
    assert unpinned["shortDescription"]["text"] == "Unpinned uses"
    assert "zizmor" in unpinned["properties"]["tags"]
    assert unpinned["defaultConfiguration"]["level"] == "error"


def test_rule_without_help_uri_has_no_link() -> None:
    finding = Finding("as-built-mismatch", "declared 400, observed unknown", Severity.MEDIUM)
    rule = _run(sarif_log([finding], tool_version="0.1.0"))["tool"]["driver"]["rules"][0]

    assert "helpUri" not in rule
    assert "http" not in rule["help"]["markdown"]


def test_derived_rule_takes_the_most_severe_finding() -> None:
    findings = [
        Finding("vulnerability-sla", "low one", Severity.LOW, Location("a.txt", 1)),
        Finding("vulnerability-sla", "critical one", Severity.CRITICAL, Location("b.txt", 1)),
    ]
    rule = _run(sarif_log(findings, tool_version="0.1.0"))["tool"]["driver"]["rules"][0]

    assert rule["properties"]["security-severity"] == "9.5"
    assert rule["defaultConfiguration"]["level"] == "error"


@pytest.mark.parametrize(
    ("severity", "level", "score"),
    [
        (Severity.CRITICAL, "error", "9.5"),
        (Severity.HIGH, "error", "8.0"),
        (Severity.MEDIUM, "warning", "5.5"),
        (Severity.LOW, "note", "3.0"),
        (Severity.INFO, "note", "0.0"),
    ],
)
def test_severity_maps_to_level_and_security_severity(severity: Severity, level: str, score: str) -> None:
    finding = Finding("r", "m", severity, Location("x.yml", 2))
    log = sarif_log([finding], tool_version="0.1.0")

    assert _run(log)["results"][0]["level"] == level
    assert _run(log)["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == score


def test_supplied_rules_are_used_and_kept_without_findings() -> None:
    rules = {
        "static-cloud-credentials": RuleInfo(
            id="static-cloud-credentials",
            name="StaticCloudCredentials",
            short_description="Long-lived cloud keys in the pipeline",
            help_uri="https://evidencepack.dev/controls/ac-1",
            default_severity=Severity.HIGH,
        ),
        "unused-rule": RuleInfo(
            id="unused-rule",
            name="UnusedRule",
            short_description="A rule that found nothing",
            help_uri=None,
            default_severity=Severity.LOW,
            full_description="Kept so code scanning knows the rule ran.",
        ),
    }
    finding = Finding("static-cloud-credentials", "AWS key in env", Severity.HIGH, Location("ci.yml", 4))
    run = _run(sarif_log([finding], tool_version="0.1.0", rules=rules))
    by_id = {r["id"]: r for r in run["tool"]["driver"]["rules"]}

    assert set(by_id) == {"static-cloud-credentials", "unused-rule"}
    assert by_id["static-cloud-credentials"]["name"] == "StaticCloudCredentials"
    assert by_id["static-cloud-credentials"]["fullDescription"]["text"] == (
        "Long-lived cloud keys in the pipeline"
    )
    assert by_id["unused-rule"]["fullDescription"]["text"] == ("Kept so code scanning knows the rule ran.")
    assert by_id["unused-rule"]["properties"]["tags"] == ["security"]
    assert run["results"][0]["ruleIndex"] == 0


def test_location_with_line_and_column() -> None:
    result = _only_result(Finding("r", "m", Severity.HIGH, Location(".github/workflows/deploy.yml", 41, 15)))

    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": ".github/workflows/deploy.yml",
        "uriBaseId": SRCROOT,
    }
    assert physical["region"] == {"startLine": 41, "startColumn": 15}


def test_location_with_line_only_has_no_column() -> None:
    result = _only_result(Finding("r", "m", Severity.LOW, Location("requirements.txt", 12)))

    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 12}


def test_file_level_finding_is_anchored_on_line_one() -> None:
    result = _only_result(Finding("r", "m", Severity.LOW, Location(".github/workflows/a.yml")))

    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert result["properties"]["evidencepack/file-level"] is True


def test_finding_without_location_is_repository_level() -> None:
    result = _only_result(Finding("unreviewed-change", "PR #4 not reviewed", Severity.HIGH))

    assert len(result["locations"]) == 1
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": REPOSITORY_LEVEL_URI}
    assert physical["region"] == {"startLine": 1}


def test_paths_become_relative_uri_references() -> None:
    result = _only_result(Finding("r", "m", Severity.LOW, Location("./docs/My File#1.md", 3)))

    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "docs/My%20File%231.md"


def test_original_uri_base_ids_declare_srcroot(pack_content: PackContent) -> None:
    run = _run(sarif_log(_findings(pack_content), tool_version="0.1.0"))

    assert SRCROOT in run["originalUriBaseIds"]


def test_fingerprints_follow_githubs_shape_and_ignore_line_moves() -> None:
    before = _only_result(Finding("r", "Key  found\n here", Severity.HIGH, Location("a.yml", 3)))
    after = _only_result(Finding("r", "Key found here", Severity.HIGH, Location("a.yml", 30)))
    other_file = _only_result(Finding("r", "Key found here", Severity.HIGH, Location("b.yml", 3)))

    fingerprint = before["partialFingerprints"]["primaryLocationLineHash"]
    assert re.fullmatch(r"[0-9a-f]{16}:1", fingerprint)
    assert after["partialFingerprints"] == before["partialFingerprints"]
    assert other_file["partialFingerprints"] != before["partialFingerprints"]


def test_identical_findings_get_distinct_fingerprints(pack_content: PackContent) -> None:
    results = _run(sarif_log(_findings(pack_content), tool_version="0.1.0"))["results"]
    unpinned = [r for r in results if r["ruleId"] == "zizmor/unpinned-uses"]

    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in unpinned]
    assert [h.split(":")[1] for h in hashes] == ["1", "2"]
    assert len({h.split(":")[0] for h in hashes}) == 1
    assert len({r["partialFingerprints"]["primaryLocationLineHash"] for r in results}) == len(results)


def test_allow_listed_finding_is_an_accepted_suppression(pack_content: PackContent) -> None:
    results = _run(sarif_log(_findings(pack_content), tool_version="0.1.0"))["results"]
    accepted = next(r for r in results if r["ruleId"] == "generic-api-key")

    assert accepted["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Test fixture with a revoked sandbox key; expires 2025-06-30.",
        }
    ]
    assert all("suppressions" not in r for r in results if r is not accepted)


def test_output_does_not_depend_on_input_order(pack_content: PackContent) -> None:
    findings = _findings(pack_content)
    shuffled = findings[:]
    random.Random(7).shuffle(shuffled)

    first = json.dumps(sarif_log(findings, tool_version="0.1.0"))
    second = json.dumps(sarif_log(shuffled, tool_version="0.1.0"))
    assert first == second


def test_results_are_sorted_by_location(pack_content: PackContent) -> None:
    results = _run(sarif_log(_findings(pack_content), tool_version="0.1.0"))["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]

    assert uris[0] == REPOSITORY_LEVEL_URI
    assert uris[1:] == sorted(uris[1:])
