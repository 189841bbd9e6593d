"""The change a run scans when the CI names it: a push's `before`, a merge request's base."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidencepack.cli import main
from evidencepack.sources.ci import pushed_range_base

GIT_ENV = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}
BEFORE = "a" * 40


def _git(repo: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.parametrize(("env", "event", "expected"), [
    ({"CI_COMMIT_BEFORE_SHA": BEFORE}, None, (BEFORE, "CI_COMMIT_BEFORE_SHA")),
    ({"CI_MERGE_REQUEST_DIFF_BASE_SHA": "b" * 40, "CI_COMMIT_BEFORE_SHA": BEFORE}, None,
     ("b" * 40, "CI_MERGE_REQUEST_DIFF_BASE_SHA")),
    ({"CI_COMMIT_BEFORE_SHA": "0" * 40}, None, (None, "")),
    ({}, {"before": BEFORE, "after": "c" * 40}, (BEFORE, "the push's before commit (GITHUB_EVENT_PATH)")),
    ({}, {"before": "0" * 40}, (None, "")),
    ({}, {"pull_request": {"base": {"sha": "d" * 40}}, "before": BEFORE},
     ("d" * 40, "the pull request's base (GITHUB_EVENT_PATH)")),
    ({}, {"before": "not a sha; rm -rf /"}, (None, "")),
    ({}, ["not", "an", "object"], (None, "")),
    ({}, None, (None, "")),
])
def test_pushed_range_base(tmp_path: Path, env: dict[str, str], event: object,
                           expected: tuple[str | None, str]) -> None:
    if event is not None:
        path = tmp_path / "event.json"
        path.write_text(json.dumps(event))
        env = {**env, "GITHUB_EVENT_PATH": str(path)}
    assert pushed_range_base(env) == expected


def test_unreadable_or_garbled_event_file_names_no_range(tmp_path: Path) -> None:
    garbled = tmp_path / "event.json"
    garbled.write_bytes(b"\xff{not json")
    assert pushed_range_base({"GITHUB_EVENT_PATH": str(garbled)}) == (None, "")
    assert pushed_range_base({"GITHUB_EVENT_PATH": str(tmp_path / "missing.json")}) == (None, "")
    assert pushed_range_base({"GITHUB_EVENT_PATH": str(tmp_path)}) == (None, "")


def test_run_scans_the_pushed_range_only(make_repo: Callable[..., Path], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, ci_free_env: None) -> None:
    """A secret committed before the push and removed is outside the pushed range; one added
    by the push is in it. A `before` the shallow checkout lacks falls back to the tree."""
    token = "xoxb-" + "5829104736-9047261835102-" + "Zq8WmV3kPx7LcN2bRt5YhJ4d"
    repo = make_repo({"README.md": "shop\n"})
    (repo / "old.env").write_text(f"SLACK_TOKEN={token}\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "old secret")
    _git(repo, "rm", "-q", "old.env")
    _git(repo, "commit", "-qm", "removed")
    before = _git(repo, "rev-parse", "HEAD")
    pushed = "xoxb-" + "7302946185-8149305627413-" + "Mq4WnV8kPx2LcN7bRt9YhJ3e"
    (repo / "app.py").write_text(f"print('hello')\nSLACK_TOKEN = '{pushed}'\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "the push")
    monkeypatch.setenv("CI_COMMIT_BEFORE_SHA", before)
    result = CliRunner().invoke(main, ["run", str(repo), "--store", str(tmp_path / "s1"),
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    pack = Path(json.loads(result.output[result.output.index("{"):])["pack"])
    scan = json.loads((pack / "evidence/secrets/scan.json").read_text())
    assert (scan["scope"], scan["base"], scan["commits_scanned"]) == ("range", before, 1)
    # The push's own secret is found; the one removed before the push is outside the range.
    assert [(f["path"], f["line"]) for f in scan["findings"]] == [("app.py", 2)]

    monkeypatch.setenv("CI_COMMIT_BEFORE_SHA", "e" * 40)
    result = CliRunner().invoke(main, ["run", str(repo), "--store", str(tmp_path / "s2"),
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output[result.output.index("{"):])
    assert any("not in the checkout's history" in w for w in out["warnings"])
    scan = json.loads((Path(out["pack"]) / "evidence/secrets/scan.json").read_text())
    assert scan["scope"] == "worktree"
