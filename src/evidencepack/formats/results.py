"""The `controls/results.json` document: every control result of a pack, as JSON."""

from __future__ import annotations

from typing import Any

from evidencepack.model import PackContent

RESULTS_SCHEMA = "https://evidencepack.dev/schemas/results-v1.json"
"""Identifies the layout of the document, so readers can refuse a version they do not know."""


def results_document(content: PackContent) -> dict[str, Any]:
    """Return the JSON-ready body of `controls/results.json` for a pack."""
    return {
        "schema": RESULTS_SCHEMA,
        "pack_id": content.pack_id,
        "created_at": content.created_at,
        "subject": content.subject.to_json(),
        # A fresh dict, so a caller that edits the document cannot alter the pack's values.
        "summary": dict(content.summary.counts),
        "controls": [result.to_json() for result in content.results],
    }
