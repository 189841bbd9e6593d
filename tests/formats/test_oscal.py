"""OSCAL assessment results: valid against the official 1.1.3 schema, deterministic, and
never reporting an unevaluated control as satisfied."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from evidencepack.formats.oscal import PROP_NS, assessment_results
from evidencepack.model import PackContent, Status


def _result(document: dict[str, Any]) -> dict[str, Any]:
    results = document["assessment-results"]["results"]
    assert len(results) == 1
    result: dict[str, Any] = results[0]
    return result


def _by_control(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keyed = {}
    for item in items:
        (control_id,) = [p["value"] for p in item["props"] if p["name"] == "control-id"]
        keyed[control_id] = item
    return keyed


def _prop_values(item: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in item.get("props", []) if p["name"] == name]


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_sample_is_valid_oscal(
    pack_content: PackContent, oscal_validator: jsonschema.protocols.Validator
) -> None:
    oscal_validator.validate(assessment_results(pack_content))


def test_translated_schema_still_enforces_token_patterns(
    pack_content: PackContent, oscal_validator: jsonschema.protocols.Validator
) -> None:
    document = copy.deepcopy(assessment_results(pack_content))
    selection = _result(document)["reviewed-controls"]["control-selections"][0]
    selection["include-controls"][0]["control-id"] = "CM 1"

    with pytest.raises(jsonschema.ValidationError):
        oscal_validator.validate(document)


def test_pack_without_controls_is_valid(
    make_content: Callable[..., PackContent], oscal_validator: jsonschema.protocols.Validator
) -> None:
    document = assessment_results(make_content(results=(), evidence_files=()))

    oscal_validator.validate(document)
    assert "observations" not in _result(document)


def test_pack_with_sparse_subject_is_valid(
    pack_content: PackContent,
    make_content: Callable[..., PackContent],
    oscal_validator: jsonschema.protocols.Validator,
) -> None:
    bare = replace(
        pack_content.subject,
        repository=None,
        ref=None,
        branch=None,
        run_url=None,
        run_id=None,
        actor=None,
        platform="local",
    )
    document = assessment_results(make_content(subject=bare, policy_source=None, signer_keyid=""))

    oscal_validator.validate(document)
    assert document["assessment-results"]["metadata"]["title"] == (
        "evidencepack assessment results for local repository@3f9c2d4"
    )


def test_metadata(pack_content: PackContent) -> None:
    metadata = assessment_results(pack_content)["assessment-results"]["metadata"]

    assert metadata["title"] == "evidencepack assessment results for acme/payments-api@3f9c2d4"
    assert metadata["last-modified"] == "2025-03-14T09:42:33Z"
    assert metadata["version"] == "0.1.0"
    assert metadata["oscal-version"] == "1.1.3"
    assert _prop_values(metadata, "pack-id") == [pack_content.pack_id]


def test_same_content_gives_byte_identical_output(
    pack_content: PackContent, make_content: Callable[..., PackContent]
) -> None:
    first = json.dumps(assessment_results(pack_content), indent=2)
    second = json.dumps(assessment_results(make_content()), indent=2)

    assert first == second


def test_uuids_are_version_5_unique_and_scoped_to_the_pack(
    pack_content: PackContent, make_content: Callable[..., PackContent]
) -> None:
    document = assessment_results(pack_content)
    defined = [v for k, v in _walk(document) if k == "uuid"]

    assert len(defined) == len(set(defined))
    assert all(uuid.UUID(v).version == 5 for v in defined)
    other = assessment_results(make_content(pack_id="20250315T101010Z-aaaaaaaaaaaa"))
    assert other["assessment-results"]["uuid"] != document["assessment-results"]["uuid"]


def test_every_reference_resolves(pack_content: PackContent) -> None:
    document = assessment_results(pack_content)
    defined = {v for k, v in _walk(document) if k == "uuid"}
    references = [v for k, v in _walk(document) if k in {"observation-uuid", "actor-uuid", "subject-uuid"}]
    fragments = [v[1:] for k, v in _walk(document) if k == "href" and v.startswith("#")]

    assert references
    assert set(references) <= defined
    assert document["assessment-results"]["import-ap"]["href"].startswith("#")
    assert set(fragments) <= defined


def test_reviewed_controls_list_every_control(pack_content: PackContent) -> None:
    selection = _result(assessment_results(pack_content))["reviewed-controls"]["control-selections"][0]

    assert [c["control-id"] for c in selection["include-controls"]] == [
        "cm-1", "cm-2", "cm-3", "cm-4", "ac-1", "ac-2", "ac-3", "ac-4", "vm-1", "vm-2",
        "mo-1", "lg-1", "in-1", "in-2", "in-3", "hd-1", "doc-1",
    ]  # fmt: skip


def test_one_observation_and_one_finding_per_control(pack_content: PackContent) -> None:
    result = _result(assessment_results(pack_content))
    observations = _by_control(result["observations"])
    findings = _by_control(result["findings"])
    ids = [r.control_id for r in pack_content.results]

    assert list(observations) == ids
    assert list(findings) == ids
    for control_id in ids:
        related = findings[control_id]["related-observations"]
        assert related == [{"observation-uuid": observations[control_id]["uuid"]}]
        assert findings[control_id]["target"]["type"] == "objective-id"
        assert findings[control_id]["target"]["target-id"] == f"{control_id.lower()}_obj"


@pytest.mark.parametrize(
    ("status", "state", "reason"),
    [
        (Status.PASS, "satisfied", "pass"),
        (Status.FAIL, "not-satisfied", "fail"),
        (Status.ERROR, "not-satisfied", "other"),
        (Status.MANUAL, "not-satisfied", "other"),
        (Status.NOT_APPLICABLE, "not-satisfied", "other"),
    ],
)
def test_status_mapping(
    pack_content: PackContent,
    make_content: Callable[..., PackContent],
    oscal_validator: jsonschema.protocols.Validator,
    status: Status,
    state: str,
    reason: str,
) -> None:
    results = tuple(replace(r, status=status) for r in pack_content.results)
    document = assessment_results(make_content(results=results))
    oscal_validator.validate(document)

    for finding in _result(document)["findings"]:
        assert finding["target"]["status"]["state"] == state
        assert finding["target"]["status"]["reason"] == reason
        assert _prop_values(finding, "evidencepack-status") == [str(status)]
        if status not in (Status.PASS, Status.FAIL):
            assert finding["target"]["status"]["remarks"]


def test_not_applicable_carries_implementation_status(pack_content: PackContent) -> None:
    findings = _by_control(_result(assessment_results(pack_content))["findings"])

    assert findings["IN-3"]["target"]["implementation-status"] == {"state": "not-applicable"}
    assert "implementation-status" not in findings["CM-1"]["target"]


def test_error_is_never_satisfied(pack_content: PackContent) -> None:
    findings = _by_control(_result(assessment_results(pack_content))["findings"])
    errors = [r.control_id for r in pack_content.results if r.status is Status.ERROR]

    assert errors == ["AC-3", "LG-1"]
    for control_id in errors:
        assert findings[control_id]["target"]["status"]["state"] == "not-satisfied"


def test_methods_distinguish_automated_from_manual(pack_content: PackContent) -> None:
    observations = _by_control(_result(assessment_results(pack_content))["observations"])

    assert observations["MO-1"]["methods"] == ["EXAMINE"]
    assert _prop_values(observations["MO-1"], "evaluation") == ["manual"]
    assert observations["CM-1"]["methods"] == ["TEST"]
    assert _prop_values(observations["CM-1"], "evaluation") == ["automated"]


def test_criteria_and_iso_refs_are_namespaced_props(pack_content: PackContent) -> None:
    document = assessment_results(pack_content)
    findings = _by_control(_result(document)["findings"])

    assert _prop_values(findings["CM-1"], "soc2-criterion") == ["CC8.1", "CC5.2", "CC6.1"]
    assert _prop_values(findings["CM-1"], "iso27001-control") == ["A.8.32", "A.8.4"]
    assert _prop_values(findings["CM-1"], "enforced") == ["true"]
    props = [v for k, v in _walk(document) if k == "props"]
    assert all(p["ns"] == PROP_NS for group in props for p in group)


def test_relevant_evidence_links_pack_files_with_digests(pack_content: PackContent) -> None:
    document = assessment_results(pack_content)
    observations = _by_control(_result(document)["observations"])
    evidence = observations["AC-1"]["relevant-evidence"]

    assert [e["href"] for e in evidence] == [
        "../evidence/pipeline/workflows/deploy.yml",
        "../evidence/pipeline/analysis.json",
    ]
    assert "b2b2b2" in evidence[0]["description"]
    assert "relevant-evidence" not in observations["AC-3"]

    resources = {r["title"]: r for r in document["assessment-results"]["back-matter"]["resources"]}
    deploy = resources["evidence/pipeline/workflows/deploy.yml"]
    assert deploy["rlinks"] == [
        {
            "href": "../evidence/pipeline/workflows/deploy.yml",
            "hashes": [{"algorithm": "SHA-256", "value": "b2" * 32}],
        }
    ]
    assert evidence[0]["links"] == [{"href": f"#{deploy['uuid']}", "rel": "reference"}]


def test_observation_records_findings_and_collection_time(pack_content: PackContent) -> None:
    observations = _by_control(_result(assessment_results(pack_content))["observations"])

    hd1 = observations["HD-1"]
    assert hd1["collected"] == pack_content.created_at
    assert "zizmor/unpinned-uses" in hd1["remarks"]
    assert ".github/workflows/deploy.yml:23:9" in hd1["remarks"]
    assert "finding" in hd1["types"]
    assert "remarks" not in observations["CM-1"]
