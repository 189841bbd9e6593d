"""Dependency manifests that no lockfile pins: what an SBOM from lockfiles cannot cover.

A `package.json` with dependencies and no `package-lock.json`, `yarn.lock` or
`pnpm-lock.yaml` beside it or above it (workspaces keep one at their root) names packages
whose versions are only decided at install time; the SBOM cannot say which were built.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath
from typing import Any

from .interface import LockfileError, load_json
from .registry import extractor_for

_JS_LOCKS = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml")
_PY_LOCKS = ("poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock")
_PACKAGE_REFERENCE = re.compile(r"<PackageReference\b", re.IGNORECASE)


def _json_has(keys: tuple[str, ...],
              ignore: Callable[[str], bool] = lambda _: False) -> Callable[[str], bool]:
    def declares(text: str) -> bool:
        data = load_json(text)
        return isinstance(data, dict) and any(
            isinstance(data.get(k), dict) and any(not ignore(n) for n in data[k]) for k in keys)
    return declares


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _pyproject_declares(text: str) -> bool:
    data = tomllib.loads(text)
    project = _table(data.get("project"))
    if project.get("dependencies") or project.get("optional-dependencies"):
        return True
    poetry = _table(_table(data.get("tool")).get("poetry"))
    deps = _table(poetry.get("dependencies"))
    return any(name != "python" for name in deps) or bool(poetry.get("group"))


def _always(text: str) -> bool:
    return True


# manifest name (or suffix) -> (lockfile names accepted, whether it declares dependencies)
MANIFESTS: dict[str, tuple[tuple[str, ...], Callable[[str], bool]]] = {
    "package.json": (_JS_LOCKS, _json_has(("dependencies", "devDependencies", "optionalDependencies"))),
    "pyproject.toml": (_PY_LOCKS, _pyproject_declares),
    "Pipfile": (("Pipfile.lock",), _always),
    "Cargo.toml": (("Cargo.lock",), lambda text: "dependencies" in text),
    "Gemfile": (("Gemfile.lock",), lambda text: bool(re.search(r"^\s*gem\s", text, re.MULTILINE))),
    "gems.rb": (("gems.locked",), _always),
    "composer.json": (("composer.lock",), _json_has(
        ("require", "require-dev"), ignore=lambda n: n == "php" or n.startswith("ext-"))),
    "build.gradle": (("gradle.lockfile",), lambda text: "dependencies" in text),
    "build.gradle.kts": (("gradle.lockfile",), lambda text: "dependencies" in text),
    ".csproj": (("packages.lock.json",), lambda text: bool(_PACKAGE_REFERENCE.search(text))),
    ".fsproj": (("packages.lock.json",), lambda text: bool(_PACKAGE_REFERENCE.search(text))),
    ".vbproj": (("packages.lock.json",), lambda text: bool(_PACKAGE_REFERENCE.search(text))),
}
_SAME_FOLDER_ONLY = (".csproj", ".fsproj", ".vbproj")


def manifest_kind(name: str) -> str | None:
    if name in MANIFESTS:
        return name
    suffix = PurePosixPath(name).suffix
    return suffix if suffix in _SAME_FOLDER_ONLY else None


def _locked(path: PurePosixPath, kind: str, lockfiles: set[PurePosixPath]) -> bool:
    accepted = MANIFESTS[kind][0]
    folders = [path.parent] if kind in _SAME_FOLDER_ONLY else [path.parent, *path.parent.parents]
    for folder in folders:
        for lock in lockfiles:
            if lock.parent != folder:
                continue
            if lock.name in accepted:
                return True
            if kind == "pyproject.toml" and extractor_for(lock) is not None and \
                    lock.name.startswith("requirements"):
                return True
    return False


def unlocked_manifests(manifests: Iterable[str], lockfiles: Iterable[str],
                       read: Callable[[str], str | None]) -> tuple[str, ...]:
    """Manifests that declare dependencies with no lockfile of theirs beside or above them."""
    locks = {PurePosixPath(p) for p in lockfiles}
    out = []
    for rel in sorted(manifests):
        path = PurePosixPath(rel)
        kind = manifest_kind(path.name)
        if kind is None or _locked(path, kind, locks):
            continue
        try:
            text = read(rel)
            declares = text is not None and MANIFESTS[kind][1](text)
        except (LockfileError, ValueError):
            declares = True  # unreadable: it may well declare dependencies
        if declares:
            out.append(rel)
    return tuple(out)
