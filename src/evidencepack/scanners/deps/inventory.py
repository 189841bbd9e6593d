"""The inventory of a tree: every lockfile found, read by its extractor, plus given SBOMs."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from ...errors import InputError
from .interface import LockfileError, LockfileInput, extract_file, read_tree_file
from .manifests import manifest_kind, unlocked_manifests
from .model import Component, Inventory, LockfileResult
from .registry import extractor_for
from .sbom_input import read_sbom

SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__",
    "site-packages", "vendor", "bower_components", "jspm_packages", ".yarn", ".pnpm-store",
    ".evidence", ".mypy_cache", ".pytest_cache", ".ruff_cache", "target", ".gradle",
})
"""Installed, vendored or generated copies of dependencies and caches: never lockfiles of the
project itself (a vendored tree's own lockfiles describe code already listed by its owner)."""


def find_lockfiles(root: Path, unreadable: list[LockfileResult] | None = None,
                   manifests: list[str] | None = None, exclude: Sequence[str] = ()) -> list[str]:
    """Repository-relative paths of the files an extractor reads, sorted; links not followed.

    A directory that cannot be listed may hold lockfiles: it is added to `unreadable`.
    Dependency manifests (package.json, Cargo.toml, ...) are added to `manifests`.
    """

    def refused(exc: OSError) -> None:
        if unreadable is not None and exc.filename:
            where = Path(exc.filename).relative_to(root).as_posix()
            unreadable.append(LockfileResult(path=where, format="directory",
                                             error=f"cannot be listed: {exc.strerror or exc}"))

    prefixes = tuple(p.strip("/") for p in exclude if p.strip("/"))

    def excluded(rel: str) -> bool:
        return any(rel == p or rel.startswith(p + "/") for p in prefixes)

    found = []
    for directory, dirs, files in os.walk(root, followlinks=False, onerror=refused):
        base = Path(directory).relative_to(root)
        here = "" if str(base) == "." else base.as_posix() + "/"
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not excluded(here + d))
        for name in files:
            rel = PurePosixPath(base.as_posix(), name) if str(base) != "." else PurePosixPath(name)
            if excluded(rel.as_posix()):
                continue
            if extractor_for(rel) is not None:
                found.append(rel.as_posix())
            elif manifests is not None and manifest_kind(name) is not None:
                manifests.append(rel.as_posix())
    return sorted(found)


def read_lockfile(root: Path, relative: str) -> LockfileResult:
    """One lockfile of the tree; whatever goes wrong is the result's `error`."""
    extractor = extractor_for(PurePosixPath(relative))
    if extractor is None:
        raise InputError(f"{relative}: not a lockfile evidencepack reads")
    try:
        text = read_tree_file(root, relative)
    except LockfileError as exc:
        return LockfileResult(path=relative, format=extractor.format, error=str(exc))
    if text is None:
        return LockfileResult(path=relative, format=extractor.format, error="disappeared while read")
    return extract_file(extractor, LockfileInput(root=root, path=relative, text=text))


def merge_components(components: Iterable[Component]) -> tuple[Component, ...]:
    """One component per (ecosystem, name, version, source), sorted.

    Direct wins over transitive, a runtime scope over dev/optional; hashes and dependencies
    are joined.
    """
    merged: dict[tuple[str, str, str, str], Component] = {}
    for c in components:
        key = (c.ecosystem, c.name, c.version, c.source)
        seen = merged.get(key)
        if seen is None:
            merged[key] = c
            continue
        direct = seen.direct if c.direct is None else (
            c.direct if seen.direct is None else seen.direct or c.direct)
        merged[key] = replace(
            seen,
            direct=direct,
            scope=None if seen.scope is None or c.scope is None else seen.scope,
            hashes=tuple(sorted(set(seen.hashes) | set(c.hashes))),
            dependencies=tuple(sorted(set(seen.dependencies) | set(c.dependencies))),
        )
    return tuple(sorted(merged.values()))


def _display(root: Path, sbom: Path) -> str:
    try:
        return sbom.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return str(sbom)


def build_inventory(root: Path, sboms: Sequence[Path] = (), exclude: Sequence[str] = ()) -> Inventory:
    """Every lockfile under `root` (but those under an `exclude` path) and every SBOM given,
    read, deduplicated and sorted.

    Raises `InputError` when `root` is not a directory or an SBOM cannot be opened; an
    unparseable lockfile or SBOM is a `LockfileResult` with `error`, never skipped.
    """
    if not root.exists():
        raise InputError(f"{root}: no such file or directory")
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    root = root.resolve()
    unreadable: list[LockfileResult] = []
    manifests: list[str] = []
    lockfiles = find_lockfiles(root, unreadable, manifests, exclude)
    results = [read_lockfile(root, rel) for rel in lockfiles]
    results.extend(unreadable)
    results.extend(read_sbom(path, _display(root, path)) for path in sboms)
    results.sort(key=lambda r: (r.path, r.format))
    cleaned = [replace(r, components=merge_components(r.components)) for r in results]
    components = merge_components(c for r in cleaned for c in r.components)
    unlocked = unlocked_manifests(manifests, lockfiles, lambda rel: read_tree_file(root, rel))
    return Inventory(lockfiles=tuple(cleaned), components=components, unlocked=unlocked,
                     excluded=tuple(exclude))
