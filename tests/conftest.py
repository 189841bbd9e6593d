"""Shared fixtures: real Git repositories built from the folders in tests/fixtures/repos."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
REPOS = FIXTURES / "repos"
SHARED = TESTS.parent.parent / "shared"
SHARED_DATA = SHARED / "data"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Alice Author",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Carol Committer",
    "GIT_COMMITTER_EMAIL": "carol@example.com",
    "GIT_AUTHOR_DATE": "2026-11-02T10:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-02T10:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENV)
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True,
                          check=True)
    return proc.stdout


def init_repo(path: Path, files: Mapping[str, str | bytes] | None = None, *,
              remote: str | None = "https://github.com/acme/shop.git") -> Path:
    """A Git repository at `path` with `files` committed on `main`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for name, content in (files or {}).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-q", "--allow-empty", "-m", "initial commit")
    if remote:
        git(path, "remote", "add", "origin", remote)
    return path


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Build a real Git repository from inline files."""

    def make(files: Mapping[str, str | bytes] | None = None, name: str = "repo",
             remote: str | None = "https://github.com/acme/shop.git") -> Path:
        return init_repo(tmp_path / name, files, remote=remote)

    return make


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Callable[..., Path]:
    """Build a real Git repository from tests/fixtures/repos/<case>."""

    def make(case: str, remote: str = "https://github.com/acme/shop.git") -> Path:
        target = tmp_path / case
        shutil.copytree(REPOS / case, target)
        return init_repo(target, remote=remote)

    return make


@pytest.fixture
def ci_free_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run inside CI too: hide the CI's own variables from the code under test."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GITLAB_", "CI_", "EVIDENCEPACK_")) or name in ("CI", "GH_TOKEN"):
            monkeypatch.delenv(name, raising=False)
