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
