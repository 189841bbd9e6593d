"""Fixtures for tests against a fake GitHub that speaks the real API's shapes.

The harness modules (openapi, fake_github, github_objects) live beside the tests; pytest runs with
`--import-mode=importlib`, which does not put test folders on sys.path, so this folder is added
here to let test modules write `from fake_github import FakeGitHub`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from fake_github import FakeGitHub  # noqa: E402
from openapi import GitHubShapes, shapes  # noqa: E402


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """A running FakeGitHub at 127.0.0.1 (strict: scripted replies must fit GitHub's schemas)."""
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture(scope="session")
def github_shapes() -> GitHubShapes:
    """GitHub's OpenAPI subset, loaded once per process."""
    return shapes()
