"""controls/results.json: the document every other reader of a pack relies on."""

from __future__ import annotations

import json
from collections.abc import Callable

from evidencepack.formats.results import RESULTS_SCHEMA, results_document
from evidencepack.model import PackContent, Status


def test_document_carries_pack_identity_and_subject(pack_content: PackContent) -> None:
    document = results_document(pack_content)

    assert document["schema"] == RESULTS_SCHEMA == "https://evidencepack.dev/schemas/results-v1.json"
    assert document["pack_id"] == pack_content.pack_id
    assert document["created_at"] == pack_content.created_at
    assert document["subject"] == pack_content.subject.to_json()
    assert list(document) == ["schema", "pack_id", "created_at", "subject", "summary", "controls"]


def test_summary_counts_every_status(pack_content: PackContent) -> None:
    summary = results_document(pack_content)["summary"]

    assert summary == {"pass": 7, "fail": 6, "not_applicable": 1, "error": 2, "manual": 1}
    assert set(summary) == {str(s) for s in Status}
    assert sum(summary.values()) == len(pack_content.results) == 17


def test_controls_keep_catalog_order_and_full_content(pack_content: PackContent) -> None:
    controls = results_document(pack_content)["controls"]

    assert [c["id"] for c in controls] == [r.control_id for r in pack_content.results]
    assert controls == [r.to_json() for r in pack_content.results]
    hd1 = next(c for c in controls if c["id"] == "HD-1")
    assert hd1["findings"][0]["location"] == {
        "path": ".github/workflows/deploy.yml",
        "line": 23,
        "column": 9,
    }


def test_document_is_json_and_stable(pack_content: PackContent) -> None:
    first = json.dumps(results_document(pack_content), sort_keys=True)
    second = json.dumps(results_document(pack_content), sort_keys=True)

    assert first == second
    assert json.loads(first)["controls"][1]["status"] == "fail"


def test_summary_is_a_copy(pack_content: PackContent) -> None:
    document = results_document(pack_content)
    document["summary"]["pass"] = 999

    assert results_document(pack_content)["summary"]["pass"] == 7


def test_pack_without_controls(make_content: Callable[..., PackContent]) -> None:
    document = results_document(make_content(results=()))

    assert document["controls"] == []
    assert set(document["summary"].values()) == {0}
