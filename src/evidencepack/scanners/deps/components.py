"""Building components: the OSV name, the Package URL and the hashes of one package."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import replace

from packageurl import PackageURL
from packaging.utils import canonicalize_name

from .model import Component

PURL_TYPES = {
    "PyPI": "pypi",
    "npm": "npm",
    "Go": "golang",
    "crates.io": "cargo",
    "RubyGems": "gem",
    "Packagist": "composer",
    "Maven": "maven",
    "NuGet": "nuget",
}

_ALGORITHMS = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
}
_HEX_LENGTHS = {"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-384": 96, "SHA-512": 128}


def osv_name(ecosystem: str, name: str) -> str:
    """The name as OSV spells it: PEP 503 for PyPI, lowercase for Packagist, else as given."""
    if ecosystem == "PyPI":
        return str(canonicalize_name(name))
    if ecosystem == "Packagist":
        return name.lower()
    return name


def purl_of(ecosystem: str, name: str, version: str | None,
            qualifiers: Mapping[str, str] | None = None) -> str:
    """The Package URL of `name` at `version` in `ecosystem` (an OSV ecosystem name)."""
    namespace: str | None = None
    short = name
    if ecosystem == "npm" and name.startswith("@") and "/" in name:
        namespace, short = name.split("/", 1)
    elif ecosystem in ("Go", "Packagist") and "/" in name:
        namespace, short = name.rsplit("/", 1)
    elif ecosystem == "Maven" and ":" in name:
        namespace, short = name.split(":", 1)
    purl = PackageURL(type=PURL_TYPES[ecosystem], namespace=namespace, name=short,
                      version=version, qualifiers=dict(qualifiers) if qualifiers else None)
    return str(purl.to_string())


def component(ecosystem: str, name: str, version: str, source: str, *,
              direct: bool | None = None, scope: str | None = None,
              hashes: Iterable[tuple[str, str]] = (), dependencies: Iterable[str] = (),
              qualifiers: Mapping[str, str] | None = None) -> Component:
    name = osv_name(ecosystem, name)
    purl_version = version
    if ecosystem == "Go":
        # OSV writes Go module versions without the `v` (`1.9.1`); Package URLs keep it.
        version = version.removeprefix("v")
        purl_version = f"v{version}"
    return Component(
        ecosystem=ecosystem,
        name=name,
        version=version,
        purl=purl_of(ecosystem, name, purl_version, qualifiers),
        source=source,
        direct=direct,
        scope=scope,
        hashes=tuple(sorted(set(hashes))),
        dependencies=tuple(sorted(set(dependencies))),
    )


def hex_hash(spec: str) -> tuple[str, str] | None:
    """`sha256:<hex>` (pip, poetry, uv, pdm) as (`SHA-256`, hex); None when not such a hash."""
    alg, sep, digest = spec.strip().partition(":")
    if not sep:
        alg, sep, digest = spec.strip().partition("=")
    name = _ALGORITHMS.get(alg.lower().replace("-", ""))
    digest = digest.strip().lower()
    if name is None or len(digest) != _HEX_LENGTHS[name]:
        return None
    try:
        int(digest, 16)
    except ValueError:
        return None
    return name, digest


def sri_hashes(integrity: str) -> list[tuple[str, str]]:
    """Subresource Integrity (`sha512-<base64>`, space-separated) as (alg, hex) pairs."""
    out = []
    for token in integrity.split():
        alg, sep, b64 = token.partition("-")
        name = _ALGORITHMS.get(alg.lower())
        if not sep or name is None:
            continue
        try:
            digest = base64.b64decode(b64.split("?")[0], validate=True).hex()
        except (binascii.Error, ValueError):
            continue
        if len(digest) == _HEX_LENGTHS[name]:
            out.append((name, digest))
    return out


def base64_hash(alg: str, b64: str) -> tuple[str, str] | None:
    """A base64 digest (NuGet `contentHash`) as (alg, hex)."""
    try:
        digest = base64.b64decode(b64, validate=True).hex()
    except (binascii.Error, ValueError):
        return None
    return (alg, digest) if len(digest) == _HEX_LENGTHS[alg] else None


def link_by_name(components: Iterable[Component],
                 edges: Mapping[str, Iterable[str]]) -> list[Component]:
    """Set each component's `dependencies` from `edges` (name -> names it depends on).

    For formats whose graph names a dependency without its version: the name is resolved to
    every locked version of it in the same file.
    """
    items = list(components)
    purls: dict[str, set[str]] = {}
    for c in items:
        purls.setdefault(c.name, set()).add(c.purl)
    out = []
    for c in items:
        deps = {p for name in edges.get(c.name, ()) for p in purls.get(name, ())}
        deps.discard(c.purl)
        out.append(replace(c, dependencies=tuple(sorted(deps | set(c.dependencies)))))
    return out


def purl_package(purl: str) -> tuple[str, str | None]:
    """(type/namespace/name, case-folded, `%40` read as `@`; the version or None) of a Package
    URL, qualifiers and subpath dropped: how VEX products and first-seen records are matched."""
    core = purl.split("#", 1)[0].split("?", 1)[0].replace("%40", "@")
    head, _, last = core.rpartition("/")
    name, _, version = last.partition("@")
    return f"{head}/{name}".lower(), (version or None)


def vcs_qualifier(url: str, ref: object = None) -> dict[str, str]:
    """The purl `vcs_url` qualifier of a Git dependency: `git+URL`, and `@ref` when there is one."""
    text = url if url.startswith("git+") else f"git+{url}"
    return {"vcs_url": text + (f"@{ref}" if isinstance(ref, str) and ref else "")}
