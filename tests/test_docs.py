"""Every control has a documentation page that matches its declaration in the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evidencepack.controls.base import Control
from evidencepack.controls.capability import CapabilityControl
from evidencepack.controls.registry import CONTROLS
from evidencepack.scanners.pipeline.gitlab import RULES as GITLAB_RULES
from evidencepack.sources.github_api import PERMISSIONS as GITHUB_PERMISSIONS
from evidencepack.sources.gitlab_api import PERMISSIONS as GITLAB_PERMISSIONS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "controls"
TOKENS = DOCS.parent / "platform-tokens.md"

_FILE_ERRORS = ("invalid-yaml", "config-too-large", "config-unreadable", "config-not-text")

# The rule ids each control can emit whose help link points at its own page.
RULES: dict[str, tuple[str, ...]] = {
    "CM-1": (
        "branch-not-protected", "too-few-approvals", "bypass-allowed", "force-push-allowed",
        "deletion-allowed", "allowance-expired",
    ),
    "CM-2": (
        "pipeline-may-approve", "author-may-approve", "committer-may-approve",
        "emergency-change", "no-pull-request", "insufficient-approval", "allowance-expired",
    ),
    "CM-3": (
        "config-not-in-git", "config-modified", "no-codeowners", "config-without-owner",
        "ci-change-unreviewed", "code-owner-review-not-required", "allowance-expired",
    ),
    "CM-4": ("no-tests", "tests-not-required"),
    "AC-1": ("static-cloud-credentials", "allowance-expired"),
    "AC-2": ("write-all", "default-permissions", "unneeded-write-scope", "allowance-expired"),
    "AC-3": ("secret-not-rotated", "allowance-expired"),
    "AC-4": ("secret-found", "platform-secret-scanning-off", "allowance-expired"),
    "VM-1": ("no-dependency-scan", "stale-database", "ecosystem-not-covered", "lockfile-not-scanned",
             "version-not-comparable", "unknown-ecosystem"),
    "VM-2": ("sla-overdue", "sla-open", "severity-unknown", "vex-invalid", "vex-not-counted"),
    "MO-1": ("failures-not-alerted",),
    "LG-1": ("logs-expire-early",),
    "IN-1": ("no-signing", "artifact-signature-invalid"),
    "IN-2": ("no-sbom", "lockfile-unreadable", "manifest-without-lockfile", "unpinned-dependency",
             "allowance-expired"),
    "IN-3": ("deploy-without-verification", "artifact-verification-failed", "allowance-expired"),
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


def _token_section(platform: str) -> str:
    text = TOKENS.read_text(encoding="utf-8")
    github, _, gitlab = text.partition("\n## GitLab\n")
    assert gitlab, "docs/platform-tokens.md has no GitLab section"
    return github if platform == "github" else gitlab


def _area_row(section: str, area: str) -> str | None:
    return next((line for line in section.splitlines() if line.startswith(f"| `{area}` |")), None)


@pytest.mark.parametrize(("area", "permission"), sorted(GITHUB_PERMISSIONS.items()))
def test_token_page_lists_every_github_area(area: str, permission: str) -> None:
    row = _area_row(_token_section("github"), area)
    assert row is not None, area
    assert f"`{permission}`" in row, (area, permission)


# The roles and tiers a GitLab permission can name; the table row must name the same.
_GITLAB_TERMS = ("Guest", "Reporter", "Developer", "Maintainer", "Premium", "Ultimate",
                 "administrator", "read_api")


@pytest.mark.parametrize(("area", "permission"), sorted(GITLAB_PERMISSIONS.items()))
def test_token_page_lists_every_gitlab_area(area: str, permission: str) -> None:
    row = _area_row(_token_section("gitlab"), area)
    assert row is not None, area
    missing = [term for term in _GITLAB_TERMS if term in permission and term not in row]
    assert not missing, (area, missing)
