"""Each ecosystem's own version ordering, from packaging (PEP 440) and univers (the rest).

Nothing here compares version strings by hand: a version is turned into the comparable
object of the library that implements its ecosystem's rules, or refused with
`VersionError`, so that a version we cannot order is reported, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion as PackagingInvalidVersion
from packaging.version import Version as Pep440Version

_STRICT = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                     r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")

SEMVER = "SEMVER"
"""The OSV range type ordered by Semantic Versioning 2.0 whatever the ecosystem."""


class VersionError(ValueError):
    """A version string that the ecosystem's ordering does not accept."""


def _pep440(text: str) -> Any:
    try:
        return Pep440Version(text)
    except PackagingInvalidVersion:
        raise VersionError(f"{text!r} is not a PEP 440 version") from None


def _univers(class_name: str, what: str) -> Callable[[str], Any]:
    """A parser through univers' `class_name`; univers is imported at the first version parsed,
    not by every run that merely imports the matcher."""

    def parse(text: str) -> Any:
        from univers import versions as univers_versions

        cls = getattr(univers_versions, class_name)
        semver = issubclass(cls, univers_versions.SemverVersion)
        try:
            if semver:
                # univers' SemVer value is a `semantic_version` object; its coercion returns
                # the plain class for some strings and univers' build-aware subclass for
                # others, and the two do not order against each other. Every value is made
                # the build-aware class, so one scheme's values always compare.
                norm = cls.normalize(text)
                if _STRICT.match(norm):
                    return univers_versions.EnhancedSemanticVersion(norm)
                value = cls.build_value(norm)
                return univers_versions.EnhancedSemanticVersion(str(value))
            return cls(text)
        except (univers_versions.InvalidVersion, ValueError, TypeError, AttributeError):
            raise VersionError(f"{text!r} is not a {what} version") from None

    return parse


_PARSERS: dict[str, Callable[[str], Any]] = {
    "PyPI": _pep440,
    "npm": _univers("SemverVersion", "npm (SemVer)"),
    "crates.io": _univers("SemverVersion", "crates.io (SemVer)"),
    # Go module versions are SemVer (OSV omits the `v` a go.mod has); pseudo-versions are
    # pre-releases that sort by their timestamp, `+incompatible` is build metadata.
    "Go": _univers("GolangVersion", "Go module"),
    "RubyGems": _univers("RubygemsVersion", "RubyGems"),
    "Maven": _univers("MavenVersion", "Maven"),
    "NuGet": _univers("NugetVersion", "NuGet"),
    "Packagist": _univers("ComposerVersion", "Packagist (Composer)"),
    SEMVER: _univers("SemverVersion", "SemVer"),
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


@lru_cache(maxsize=65536)
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
