"""Each ecosystem's own version ordering, from packaging (PEP 440) and univers (the rest).

Nothing here compares version strings by hand: a version is turned into the comparable
object of the library that implements its ecosystem's rules, or refused with
`VersionError`, so that a version we cannot order is reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion as PackagingInvalidVersion
from packaging.version import Version as Pep440Version
from univers import versions as univers_versions

SEMVER = "SEMVER"
"""The OSV range type ordered by Semantic Versioning 2.0 whatever the ecosystem."""


class VersionError(ValueError):
    """A version string that the ecosystem's ordering does not accept."""


def _pep440(text: str) -> Any:
    try:
        return Pep440Version(text)
    except PackagingInvalidVersion:
        raise VersionError(f"{text!r} is not a PEP 440 version") from None


def _univers(cls: type[univers_versions.Version], what: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return cls(text)
        except (univers_versions.InvalidVersion, ValueError, TypeError, AttributeError):
            raise VersionError(f"{text!r} is not a {what} version") from None

    return parse


def _go(text: str) -> Any:
    # Go module versions are SemVer with a leading `v`; pseudo-versions are SemVer
    # pre-releases whose timestamp sorts them, and `+incompatible` is build metadata.
    if not text.startswith("v") and text not in ("0",):
        # OSV Go ranges omit the `v`; a module version always has it.
        text = "v" + text
    return _univers(univers_versions.GolangVersion, "Go module")(text)


_PARSERS: dict[str, Callable[[str], Any]] = {
    "PyPI": _pep440,
    "npm": _univers(univers_versions.SemverVersion, "npm (SemVer)"),
    "crates.io": _univers(univers_versions.SemverVersion, "crates.io (SemVer)"),
    "Go": _go,
    "RubyGems": _univers(univers_versions.RubygemsVersion, "RubyGems"),
    "Maven": _univers(univers_versions.MavenVersion, "Maven"),
    "NuGet": _univers(univers_versions.NugetVersion, "NuGet"),
    "Packagist": _univers(univers_versions.ComposerVersion, "Packagist (Composer)"),
    SEMVER: _univers(univers_versions.SemverVersion, "SemVer"),
}

ORDERED_ECOSYSTEMS = frozenset(_PARSERS) - {SEMVER}
"""Ecosystems whose versions evidencepack can order."""


def base_ecosystem(ecosystem: str) -> str:
    """`Debian:11` -> `Debian`: OSV suffixes name a release, not a different ordering."""
    return ecosystem.split(":", 1)[0]


@lru_cache(maxsize=262144)
def version_key(scheme: str, text: str) -> Any:
    """A comparable object for `text` under `scheme` (an ecosystem or `SEMVER`)."""
    parser = _PARSERS.get(scheme)
    if parser is None:
        raise VersionError(f"no version ordering for ecosystem {scheme!r}")
    if not text or len(text) > 256:
        raise VersionError(f"{text[:40]!r} is not a version")
    if scheme == SEMVER:
        text = text.removeprefix("v")
    return parser(text)


def normalize_name(ecosystem: str, name: str) -> str:
    """The name under which advisories and components are looked up."""
    eco = base_ecosystem(ecosystem)
    if eco == "PyPI":
        return str(canonicalize_name(name))
    if eco in ("NuGet", "Packagist", "Maven"):
        # Case-insensitive registries (Maven coordinates are matched case-insensitively by
        # every scanner, as repositories treat them).
        return name.lower()
    return name
