from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidencepack.run import RunOptions, RunOutcome, run

FIXED_NOW = datetime(2026, 11, 26, 9, 30, 0, tzinfo=UTC)


@pytest.fixture
def built_pack(fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None) -> RunOutcome:
    """A real pack of the hardened GitHub fixture repository, in a fresh store."""
    repo = fixture_repo("github-hardened")
    return run(
        RunOptions(path=repo, store=tmp_path / "store"),
        env={},
        clock=lambda: FIXED_NOW,
        random=lambda n: b"\x01" * n,
    )


GITHUB_ENV = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_WORKFLOW_REF": "acme/shop/.github/workflows/ci.yml@refs/heads/main",
    "GITHUB_EVENT_NAME": "push",
}
BUILDER = "https://github.com/acme/shop/.github/workflows/ci.yml@refs/heads/main"


def write_artifacts(repo: Path) -> dict[str, Path]:
    """A 3 MB binary (several read blocks) and a small text file under dist/."""
    dist = repo / "dist"
    dist.mkdir()
    app = dist / "app.tar.gz"
    app.write_bytes(bytes(range(256)) * (3 * 4096) + b"tail")
    notes = dist / "notes.txt"
    notes.write_text("release notes\n")
    return {"dist/app.tar.gz": app, "dist/notes.txt": notes}


@pytest.fixture
def artifact_pack(fixture_repo: Callable[..., Path], tmp_path: Path,
                  ci_free_env: None) -> RunOutcome:
    """A pack of a GitHub Actions run of the hardened fixture that built two artifacts."""
    repo = fixture_repo("github-hardened")
    write_artifacts(repo)
    return run(
        RunOptions(path=repo, store=tmp_path / "store", artifacts=("dist/*",), cwd=repo),
        env=GITHUB_ENV,
        clock=lambda: FIXED_NOW,
        random=lambda n: b"\x02" * n,
    )
