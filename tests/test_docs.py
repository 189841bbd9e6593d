"""Every control has a documentation page that matches its declaration in the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evidencepack.controls.base import Control
from evidencepack.controls.capability import CapabilityControl
from evidencepack.controls.registry import CONTROLS
from evidencepack.scanners.pipeline.gitlab import RULES as GITLAB_RULES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "controls"

_FILE_ERRORS = ("invalid-yaml", "config-too-large", "config-unreadable", "config-not-text")

# The rule ids each control can emit whose help link points at its own page.
RULES: dict[str, tuple[str, ...]] = {
    "CM-1": (),
    "CM-2": (),
    "CM-3": (
        "config-not-in-git", "config-modified", "no-codeowners", "config-without-owner",
        "allowance-expired",
    ),
    "CM-4": ("no-tests",),
    "AC-1": ("static-cloud-credentials", "allowance-expired"),
    "AC-2": ("write-all", "default-permissions", "unneeded-write-scope", "allowance-expired"),
    "AC-3": (),
    "AC-4": ("no-secret-scan",),
    "VM-1": ("no-dependency-scan",),
    "VM-2": (),
    "MO-1": (),
    "LG-1": (),
    "IN-1": ("no-signing",),
    "IN-2": ("no-sbom",),
    "IN-3": ("deploy-without-verification", "allowance-expired"),
    "HD-1": (
        *(rule.id for rule in GITLAB_RULES), *_FILE_ERRORS, "allowance-expired",
    ),
    "DOC-1": ("declared-differs", "allowance-expired"),
}


def _page(control: Control) -> str:
    return (DOCS / f"{control.id}.md").read_text(encoding="utf-8")


def _ids(control: Control) -> str:
    return control.id


def test_rule_table_covers_the_catalog() -> None:
    assert set(RULES) == {c.id for c in CONTROLS}


@pytest.mark.parametrize("control", CONTROLS, ids=_ids)
def test_rule_table_matches_capability_rules(control: Control) -> None:
    if isinstance(control, CapabilityControl):
        assert f"no-{control.capability.value}" in RULES[control.id]


@pytest.mark.parametrize("control", CONTROLS, ids=_ids)
def test_page_exists(control: Control) -> None:
    assert (DOCS / f"{control.id}.md").is_file()


@pytest.mark.parametrize("control", CONTROLS, ids=_ids)
def test_first_line_is_id_and_title(control: Control) -> None:
    first = _page(control).splitlines()[0]
    assert first.startswith("# ")
    assert control.id in first
    assert control.title in first


@pytest.mark.parametrize("control", CONTROLS, ids=_ids)
def test_page_names_every_criterion(control: Control) -> None:
    page = _page(control)
    for criterion in (*control.criteria, *control.iso27001):
        assert re.search(rf"\b{re.escape(criterion)}\b", page), criterion


@pytest.mark.parametrize("control", CONTROLS, ids=_ids)
def test_page_has_a_heading_per_rule(control: Control) -> None:
    headings = set(re.findall(r"^#{2,3} (\S+)\s*$", _page(control), re.MULTILINE))
    missing = [rule for rule in RULES[control.id] if rule not in headings]
    assert not missing


@pytest.mark.parametrize("control", CONTROLS, ids=_ids)
def test_page_has_the_sections(control: Control) -> None:
    page = _page(control)
    for section in ("Criteria", "What an auditor asks", "Evidence", "Status rule", "Findings",
                    "Policy keys", "Accepting a finding"):
        assert re.search(rf"^## {section}$", page, re.MULTILINE), section


def test_index_lists_every_control() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for control in CONTROLS:
        row = next((line for line in index.splitlines() if line.startswith(f"| {control.id} |")),
                   None)
        assert row is not None, control.id
        assert control.title in row
        assert ", ".join(control.criteria) in row
        assert f"({control.id}.md)" in row


def test_no_page_without_a_control() -> None:
    pages = {p.stem for p in DOCS.glob("*.md")} - {"README"}
    assert pages == {c.id for c in CONTROLS}
