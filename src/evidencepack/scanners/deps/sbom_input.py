"""SBOMs other tools of the pipeline produced: CycloneDX JSON (1.4-1.6) and SPDX 2.3 JSON.

Only components with a Package URL of an ecosystem evidencepack matches become
components; the others are listed in `unresolved`, so nothing is dropped silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from ...errors import InputError
from .components import component, hex_hash
from .interface import MAX_COMPONENTS, MAX_LOCKFILE_BYTES, LockfileError, expect, load_json, one_line
from .model import Component, LockfileResult

ECOSYSTEM_OF_PURL = {
    "pypi": "PyPI",
    "npm": "npm",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "composer": "Packagist",
    "maven": "Maven",
    "nuget": "NuGet",
}
CYCLONEDX_VERSIONS = ("1.4", "1.5", "1.6")
SPDX_VERSIONS = ("SPDX-2.3",)
_SPDX_ALGORITHMS = {"SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512", "MD5": "md5"}


def check_sbom_paths(paths: Iterable[Path]) -> None:
    """Raise `InputError` for an SBOM path that is not a readable file, before any work."""
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: --sbom: no such file")
        if not path.is_file():
            raise InputError(f"{path}: --sbom is not a regular file")
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: --sbom cannot be read: permission denied")


def read_sbom(path: Path, display: str | None = None) -> LockfileResult:
    """Read an SBOM file; `InputError` when it cannot be opened, `error` when it is malformed."""
    name = display or str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"{path}: --sbom is not a regular file")
        if size > MAX_LOCKFILE_BYTES:
            return LockfileResult(path=name, format="sbom",
                                  error=f"{size:,} bytes is over the {MAX_LOCKFILE_BYTES:,}-byte limit")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: --sbom: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: --sbom cannot be read: {exc.strerror or exc}") from None
    return parse_sbom(data, name)


def parse_sbom(data: bytes, name: str) -> LockfileResult:
    """A CycloneDX or SPDX JSON document as components; malformed ones give `error`."""
    fmt = "sbom"
    try:
        document = expect(load_json(data.decode("utf-8-sig")), dict, "the SBOM")
        if document.get("bomFormat") == "CycloneDX":
            fmt = "cyclonedx-json"
            result = _cyclonedx(document, name)
        elif "spdxVersion" in document:
            fmt = "spdx-json"
            result = _spdx(document, name)
        else:
            raise LockfileError("neither CycloneDX (bomFormat) nor SPDX (spdxVersion) JSON")
        if len(result.components) > MAX_COMPONENTS:
            raise LockfileError(f"{len(result.components):,} components, more than the "
                                f"{MAX_COMPONENTS:,} one SBOM may list")
        return result
    except UnicodeDecodeError:
        message = "not UTF-8 text"
    except RecursionError:
        message = "nested too deeply"
    except (LockfileError, ValueError, TypeError, KeyError, AttributeError) as exc:
        message = one_line(exc)
    return LockfileResult(path=name, format=fmt, error=message)


def _from_purl(text: str, name: str, version: str | None, hashes: list[tuple[str, str]]) -> Component | None:
    try:
        purl = PackageURL.from_string(text)
    except ValueError as exc:
        raise LockfileError(f"invalid purl {text!r}: {one_line(exc)}") from None
    ecosystem = ECOSYSTEM_OF_PURL.get(purl.type)
    if ecosystem is None:
        return None
    package = purl.name
    if purl.namespace:
        package = f"{purl.namespace}:{purl.name}" if ecosystem == "Maven" else f"{purl.namespace}/{purl.name}"
    pinned = purl.version or version
    if not pinned:
        return None
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else None
    return component(ecosystem, package, pinned, name, hashes=hashes, qualifiers=qualifiers)


def _walk(components: Any, what: str) -> Iterator[dict[str, Any]]:
    for item in expect(components, list, what):
        expect(item, dict, f"an entry of {what}")
        yield item
        if "components" in item:
            yield from _walk(item["components"], "nested components")


def _cyclonedx(document: dict[str, Any], name: str) -> LockfileResult:
    spec = document.get("specVersion")
    if spec not in CYCLONEDX_VERSIONS:
        raise LockfileError(f"CycloneDX specVersion {spec!r} is not one of {', '.join(CYCLONEDX_VERSIONS)}")
    found: list[Component] = []
    unresolved: list[str] = []
    refs: dict[str, str] = {}
    for item in _walk(document.get("components", []), "components"):
        label = f"{item.get('name')}@{item.get('version')}"
        hashes = []
        for h in item.get("hashes") or []:
            expect(h, dict, f"a hash of {label}")
            pair = hex_hash(f"{str(h.get('alg', '')).replace('-', '').lower()}:{h.get('content', '')}")
            if pair:
                hashes.append(pair)
        purl = item.get("purl")
        c = _from_purl(purl, name, item.get("version"), hashes) if isinstance(purl, str) else None
        if c is None:
            if item.get("type") not in ("application", "operating-system", "file", "container"):
                unresolved.append(f"{label} ({purl or 'no purl'})")
            continue
        found.append(c)
        if isinstance(item.get("bom-ref"), str):
            refs[item["bom-ref"]] = c.purl
    edges: dict[str, set[str]] = {}
    for dep in document.get("dependencies") or []:
        expect(dep, dict, "an entry of dependencies")
        parent = refs.get(str(dep.get("ref")))
        if parent is None:
            continue
        for child in expect(dep.get("dependsOn", []), list, "dependsOn"):
            if str(child) in refs:
                edges.setdefault(parent, set()).add(refs[str(child)])
    out = [replace(c, dependencies=tuple(sorted(edges.get(c.purl, ())))) for c in found]
    return LockfileResult(path=name, format=f"cyclonedx-json {spec}", components=tuple(out),
                          unresolved=tuple(unresolved))


def _spdx(document: dict[str, Any], name: str) -> LockfileResult:
    version = document.get("spdxVersion")
    if version not in SPDX_VERSIONS:
        raise LockfileError(f"spdxVersion {version!r} is not SPDX-2.3")
    for key in ("SPDXID", "name", "dataLicense"):
        if not isinstance(document.get(key), str):
            raise LockfileError(f"SPDX document has no {key}")
    found: list[Component] = []
    unresolved: list[str] = []
    ids: dict[str, str] = {}
    for package in expect(document.get("packages", []), list, "packages"):
        expect(package, dict, "an entry of packages")
        label = f"{package.get('name')}@{package.get('versionInfo')}"
        if not isinstance(package.get("SPDXID"), str):
            raise LockfileError(f"package {label} has no SPDXID")
        hashes = []
        for checksum in package.get("checksums") or []:
            expect(checksum, dict, f"a checksum of {label}")
            alg = _SPDX_ALGORITHMS.get(str(checksum.get("algorithm")))
            pair = hex_hash(f"{alg}:{checksum.get('checksumValue', '')}") if alg else None
            if pair:
                hashes.append(pair)
        refs = expect(package.get("externalRefs") or [], list, "externalRefs")
        purls = [str(ref.get("referenceLocator")) for ref in refs
                 if isinstance(ref, dict) and ref.get("referenceType") == "purl"]
        c = _from_purl(purls[0], name, package.get("versionInfo"), hashes) if purls else None
        if c is None:
            purpose = package.get("primaryPackagePurpose")
            if purls or purpose not in ("APPLICATION", "OPERATING-SYSTEM", "FILE"):
                unresolved.append(f"{label} ({purls[0] if purls else 'no purl'})")
            continue
        found.append(c)
        ids[package["SPDXID"]] = c.purl
    edges: dict[str, set[str]] = {}
    for rel in document.get("relationships") or []:
        expect(rel, dict, "an entry of relationships")
        a, kind, b = rel.get("spdxElementId"), rel.get("relationshipType"), rel.get("relatedSpdxElement")
        if kind == "DEPENDENCY_OF":
            a, b, kind = b, a, "DEPENDS_ON"
        if kind == "DEPENDS_ON" and a in ids and b in ids:
            edges.setdefault(ids[a], set()).add(ids[b])
    out = [replace(c, dependencies=tuple(sorted(edges.get(c.purl, ())))) for c in found]
    return LockfileResult(path=name, format="spdx-json 2.3", components=tuple(out),
                          unresolved=tuple(unresolved))
