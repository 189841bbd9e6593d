"""The build's SBOM: CycloneDX 1.6 JSON written with cyclonedx-python-lib, byte for byte stable.

The same inventory, repository, commit, tool version and timestamp always give the same
bytes: the library sorts its collections, and the serial number is a UUIDv5 of the content
rather than a random one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import warnings
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentScope, ComponentType
from cyclonedx.model.dependency import Dependency
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL
from sortedcontainers import SortedSet  # type: ignore[import-untyped]

from .model import Component, Inventory

SERIAL_NAMESPACE = uuid.UUID("6f1c1b4e-5d0b-4f7e-9a55-3c2f6e0d8a11")
"""Namespace of the UUIDv5 serial numbers of evidencepack's SBOMs."""
ROOT_REF = "evidencepack:repository"
_SCOPES = {"dev": ComponentScope.EXCLUDED, "optional": ComponentScope.OPTIONAL}


def _component_order(c: CdxComponent) -> tuple[str, bool, str, str, bool, str, str]:
    # The library's order (type, group, name, version, bom-ref, ...; None after any value).
    # Our bom-refs are unique purls, so this prefix decides every comparison.
    return (str(c.type), c.group is None, c.group or "", c.name, c.version is None, c.version or "",
            str(c.bom_ref.value))


def _index_dependencies(bom: Bom) -> None:
    """Make the library's pre-output validation find each dependency entry by index.

    `Bom.validate` registers every component through `register_dependency`, which scans all
    dependency entries for each (quadratic: 98 s for 10,000 components). Every component
    here already has its entry, so registering one again without new edges does nothing.
    """
    known = {str(d.ref.value) for d in bom.dependencies}
    register = bom.register_dependency

    def register_dependency(target: Any, depends_on: Any = None) -> None:
        if depends_on is None and str(target.bom_ref.value) in known:
            return
        register(target, depends_on)

    bom.register_dependency = register_dependency  # type: ignore[method-assign]


def _serial(inventory: Inventory, repository: str | None, commit: str | None, tool_version: str,
            timestamp: datetime) -> uuid.UUID:
    content = json.dumps({
        "repository": repository,
        "commit": commit,
        "tool": tool_version,
        "timestamp": timestamp.isoformat(),
        "components": [c.to_json() for c in inventory.components],
    }, sort_keys=True)
    return uuid.uuid5(SERIAL_NAMESPACE, hashlib.sha256(content.encode()).hexdigest())


def _component(purl: str, group: list[Component]) -> CdxComponent:
    first = group[0]
    parsed = PackageURL.from_string(purl)
    name, namespace = first.name, parsed.namespace
    if namespace and first.ecosystem in ("npm", "Maven", "Go", "Packagist"):
        name = parsed.name
    # Excluded (dev) or optional only when every lockfile naming it says so.
    scopes = {c.scope for c in group}
    only = scopes.pop() if len(scopes) == 1 else None
    scope = _SCOPES.get(only) if only else None
    hashes = sorted({h for c in group for h in c.hashes})
    properties = [Property(name="evidencepack:lockfile", value=c.source) for c in group]
    direct = {c.direct for c in group if c.direct is not None}
    if direct:
        properties.append(Property(name="evidencepack:direct", value=str(True in direct).lower()))
    return CdxComponent(
        type=ComponentType.LIBRARY,
        name=name,
        group=namespace if name != first.name else None,
        version=first.version,
        purl=parsed,
        bom_ref=purl,
        scope=scope,
        hashes=[HashType(alg=HashAlgorithm(alg), content=digest) for alg, digest in hashes],
        properties=properties,
    )


def build_bom(inventory: Inventory, *, repository: str | None, commit: str | None,
              tool_version: str, timestamp: datetime) -> Bom:
    """The CycloneDX model of the inventory, with the repository as metadata component."""
    by_purl: dict[str, list[Component]] = defaultdict(list)
    for c in inventory.components:
        by_purl[c.purl].append(c)
    components = {purl: _component(purl, group) for purl, group in by_purl.items()}
    root = CdxComponent(
        type=ComponentType.APPLICATION,
        name=repository or "repository",
        version=commit,
        bom_ref=ROOT_REF,
        properties=[Property(name="evidencepack:lockfile", value=lf.path) for lf in inventory.lockfiles
                    if lf.error is None],
    )
    tool = CdxComponent(type=ComponentType.APPLICATION, name="evidencepack", version=tool_version,
                        bom_ref="evidencepack:tool")
    metadata = BomMetaData(component=root, timestamp=timestamp.astimezone(UTC).replace(microsecond=0))
    metadata.tools.components.add(tool)
    bom = Bom(
        metadata=metadata,
        serial_number=_serial(inventory, repository, commit, tool_version, timestamp),
    )
    for purl, group in by_purl.items():
        children = sorted({d for c in group for d in c.dependencies if d in components and d != purl})
        bom.dependencies.add(Dependency(ref=BomRef(purl),
                                        dependencies=[Dependency(ref=BomRef(d)) for d in children]))
    direct = sorted(purl for purl, group in by_purl.items() if any(c.direct for c in group))
    bom.dependencies.add(Dependency(ref=BomRef(ROOT_REF),
                                    dependencies=[Dependency(ref=BomRef(d)) for d in direct]))
    # The library sorts components by a tuple of every field, built anew per comparison
    # (about 15 s for 10,000); the same order from a key computed once per component.
    bom._components = SortedSet(components.values(), key=_component_order)
    _index_dependencies(bom)
    return bom


def cyclonedx_json(inventory: Inventory, *, repository: str | None, commit: str | None,
                   tool_version: str, timestamp: datetime) -> bytes:
    """CycloneDX 1.6 JSON of the inventory; identical bytes for identical input."""
    bom = build_bom(inventory, repository=repository, commit=commit, tool_version=tool_version,
                    timestamp=timestamp)
    with warnings.catch_warnings():
        # The library warns when the root has no dependency; a lockfile that does not say
        # which dependencies are direct is not a gap to warn about on stderr.
        warnings.simplefilter("ignore", UserWarning)
        text = JsonV1Dot6(bom).output_as_string(indent=2)
    return (text + "\n").encode("utf-8")
