"""Real lockfiles (written by npm, yarn and pipenv, not by hand) against an independent reader.

Each folder of tests/fixtures/lockfiles-real holds a lockfile and `peer-components.txt`:
the name@version list that cyclonedx-npm, syft or cyclonedx-py made of the same file (the
tool and version are on its first line).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from evidencepack.scanners.deps.inventory import build_inventory

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "lockfiles-real"


def _peer(folder: Path, ecosystem: str) -> set[str]:
    lines = (folder / "peer-components.txt").read_text(encoding="utf-8").splitlines()
    out = set()
    for line in lines[1:]:
        name, _, version = line.rpartition("@")
        out.add(f"{canonicalize_name(name) if ecosystem == 'PyPI' else name}@{version}")
    return out


@pytest.mark.parametrize(("case", "ecosystem", "fmt", "count"), [
    ("npm-peers", "npm", "package-lock.json v3", 245),
    ("yarn-uri-js", "npm", "yarn.lock v1", 360),
    ("pipfile-gsutil-rsa", "PyPI", "Pipfile.lock", 42),
])
def test_same_components_as_the_peer(case: str, ecosystem: str, fmt: str, count: int) -> None:
    inventory = build_inventory(REAL / case)
    [lockfile] = inventory.lockfiles
    assert lockfile.error is None and lockfile.format == fmt and lockfile.unresolved == ()
    ours = {f"{c.name}@{c.version}" for c in inventory.components}
    assert {c.ecosystem for c in inventory.components} == {ecosystem}
    assert len(ours) == count
    assert ours == _peer(REAL / case, ecosystem)


def test_real_package_lock_graph_is_closed() -> None:
    inventory = build_inventory(REAL / "npm-peers")
    purls = {c.purl for c in inventory.components}
    assert all(d in purls for c in inventory.components for d in c.dependencies)
    assert sum(1 for c in inventory.components if c.dependencies) > 100
    assert all(c.hashes and c.hashes[0][0] == "SHA-512" for c in inventory.components)
