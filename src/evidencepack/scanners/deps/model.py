"""The dependency inventory every extractor produces and the vulnerability matcher reads.

One `Component` per (ecosystem, name, version) found in one lockfile or SBOM. Extractors
never raise for a malformed file: they return a `LockfileResult` whose `error` says why,
so that IN-2 can be `error` for that file instead of silently covering less.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OSV_ECOSYSTEMS = ("PyPI", "npm", "Go", "crates.io", "RubyGems", "Packagist", "Maven", "NuGet")
"""The OSV ecosystem names components carry (https://ossf.github.io/osv-schema/)."""


@dataclass(frozen=True, order=True)
class Component:
    """One package at one version, as a lockfile or an ingested SBOM names it."""

    ecosystem: str
    """The OSV ecosystem name (one of `OSV_ECOSYSTEMS`), so matching needs no mapping."""
    name: str
    """The name as OSV advisories spell it (e.g. `requests`, `@babel/core`,
    `github.com/pkg/errors`, `org.apache.logging.log4j:log4j-core`)."""
    version: str
    """The version as OSV advisories spell it: as the lockfile writes it, except Go module
    versions, which lose their leading `v` (`v1.9.1` is `1.9.1`; the purl keeps `v1.9.1`)."""
    purl: str
    """Package URL built with packageurl-python."""
    source: str
    """Repository-relative POSIX path of the lockfile or SBOM it was read from."""
    direct: bool | None = None
    """True/False when the lockfile tells whether it is a direct dependency, else None."""
    scope: str | None = None
    """`dev`, `optional` or None (required/runtime or unknown)."""
    hashes: tuple[tuple[str, str], ...] = ()
    """(CycloneDX algorithm name such as `SHA-256`, lowercase hex digest), sorted."""
    dependencies: tuple[str, ...] = field(default=(), compare=False)
    """purls of the components this one depends on, where the lockfile gives a graph."""

    def to_json(self) -> dict[str, Any]:
        return {
            "ecosystem": self.ecosystem,
            "name": self.name,
            "version": self.version,
            "purl": self.purl,
            "source": self.source,
            "direct": self.direct,
            "scope": self.scope,
            "hashes": [{"alg": a, "content": c} for a, c in self.hashes],
            "dependencies": list(self.dependencies),
        }


@dataclass(frozen=True)
class LockfileResult:
    """What one lockfile (or ingested SBOM) yielded; `error` set when it could not be read."""

    path: str
    """Repository-relative POSIX path."""
    format: str
    """e.g. `poetry.lock`, `package-lock.json v3`, `cyclonedx-json`, `spdx-json`."""
    components: tuple[Component, ...] = ()
    error: str | None = None
    """One line saying why the file could not be read; components are then empty."""
    unresolved: tuple[str, ...] = ()
    """Entries the file names without a version it pins (e.g. `flask>=2` in a requirements
    file, a Maven dependency whose version is inherited): reported, never guessed."""

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "components": len(self.components),
            "error": self.error,
            "unresolved": list(self.unresolved),
        }


@dataclass(frozen=True)
class Inventory:
    """Every lockfile of a tree and the components they name, deduplicated and sorted."""

    lockfiles: tuple[LockfileResult, ...]
    components: tuple[Component, ...]
    """Sorted; one entry per (ecosystem, name, version, source)."""
    excluded: tuple[str, ...] = ()
    """Paths the policy leaves out (`dependencies.exclude_paths`), recorded as such."""
    unlocked: tuple[str, ...] = ()
    """Dependency manifests (package.json, Cargo.toml, ...) that declare dependencies with no
    lockfile of theirs beside or above them: what the components cannot cover."""

    @property
    def errors(self) -> tuple[LockfileResult, ...]:
        return tuple(lf for lf in self.lockfiles if lf.error is not None)
