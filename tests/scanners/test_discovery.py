"""Finding the pipeline configuration in a checkout: workflows, includes, CODEOWNERS."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from evidencepack.policy import default_policy
from evidencepack.scanners.pipeline import analyze_pipeline
from evidencepack.scanners.pipeline.codeowners import coverage, owners_of, parse_codeowners
from evidencepack.scanners.pipeline.discovery import discover
from evidencepack.scanners.pipeline.model import CapabilityKind, ConfigKind
from evidencepack.sources.repository import open_checkout


def test_workflows_only_at_the_top_of_the_workflows_folder(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({
        ".github/workflows/a.yml": "on: push\n",
        ".github/workflows/b.yaml": "on: push\n",
        ".github/workflows/notes.md": "x",
        ".github/workflows/sub/c.yml": "on: push\n",
    })
    files, _ = discover(open_checkout(repo), 1 << 20)
    assert [f.path for f in files] == [".github/workflows/a.yml", ".github/workflows/b.yaml"]
    assert all(f.tracked and not f.modified for f in files)


def test_tracking_state_untracked_and_modified(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({".github/workflows/a.yml": "on: push\n"})
    (repo / ".github/workflows/a.yml").write_text("on: [push, pull_request]\n")
    (repo / ".github/workflows/new.yml").write_text("on: push\n")
    files = {f.path: f for f in discover(open_checkout(repo), 1 << 20)[0]}
    assert files[".github/workflows/a.yml"].modified
    assert not files[".github/workflows/new.yml"].tracked


def test_gitlab_local_includes_are_followed_with_globs_and_cycles(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo({
        ".gitlab-ci.yml": "include:\n  - local: /ci/*.yml\n  - local: missing.yml\n",
        "ci/a.yml": "include: ci/b.yml\na:\n  script: [pytest]\n",
        "ci/b.yml": "include: ci/a.yml\nb:\n  script: [gitleaks detect]\n",
        "ci/nested/c.yml": "c:\n  script: [make]\n",
    })
    files, notes = discover(open_checkout(repo), 1 << 20)
    assert [f.path for f in files] == [".gitlab-ci.yml", "ci/a.yml", "ci/b.yml"]
    assert notes == [".gitlab-ci.yml: local include 'missing.yml' matches no file"]


def test_gitlab_spec_header_document_is_skipped(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({
        ".gitlab-ci.yml": "spec:\n  inputs:\n    stage:\n      default: test\n---\n"
                          "test:\n  stage: $[[ inputs.stage ]]\n  script:\n    - pytest\n",
    })
    report = analyze_pipeline(open_checkout(repo), default_policy())
    tests = report.analysis.has(CapabilityKind.TESTS)
    assert [(c.job, c.location.line) for c in tests] == [(".gitlab-ci.yml#test", 9)]


def test_codeowners_precedence_and_coverage(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({
        ".github/workflows/ci.yml": "on: push\n",
        "CODEOWNERS": "* @root-owner\n",
        ".github/CODEOWNERS": "/.github/workflows/ @acme/platform\n",
    })
    files, _ = discover(open_checkout(repo), 1 << 20)
    owners = [f for f in files if f.kind is ConfigKind.CODEOWNERS]
    assert [f.path for f in owners] == [".github/CODEOWNERS"]
    report = analyze_pipeline(open_checkout(repo), default_policy())
    assert report.analysis.codeowners is not None
    assert report.analysis.codeowners.covered == (
        (".github/workflows/ci.yml", ("@acme/platform",)),
    )
    assert report.analysis.codeowners.uncovered == (".github/CODEOWNERS",)


@pytest.mark.parametrize(
    ("rules", "path", "owners"),
    [
        ("* @all\n", ".github/workflows/ci.yml", ("@all",)),
        ("*.yml @yaml\n", ".github/workflows/ci.yml", ("@yaml",)),
        ("/.github/ @p\n", ".github/workflows/ci.yml", ("@p",)),
        (".github/ @p\n", ".github/workflows/ci.yml", ("@p",)),
        ("workflows/ @p\n", ".github/workflows/ci.yml", ("@p",)),
        ("/workflows/ @p\n", ".github/workflows/ci.yml", ()),
        ("/.github/*.yml @p\n", ".github/workflows/ci.yml", ()),
        ("/.github/**/ci.yml @p\n", ".github/workflows/ci.yml", ("@p",)),
        ("* @all\n/.github/workflows/\n", ".github/workflows/ci.yml", ()),
        ("[Section]\n/.gitlab-ci.yml @a @b # comment\n", ".gitlab-ci.yml", ("@a", "@b")),
        ("^[Optional][2] @x\n/.gitlab-ci.yml @a\n", ".gitlab-ci.yml", ("@a",)),
        ("/docs/My\\ File.md @d\n", "docs/My File.md", ("@d",)),
    ],
)
def test_codeowners_patterns(rules: str, path: str, owners: tuple[str, ...]) -> None:
    assert owners_of(parse_codeowners(rules), path) == owners


def test_no_codeowners_means_everything_uncovered() -> None:
    result = coverage(None, None, ["b", "a"])
    assert result.path is None and result.uncovered == ("a", "b")
