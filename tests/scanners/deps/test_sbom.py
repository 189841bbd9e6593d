"""The CycloneDX 1.6 SBOM: valid against the official schema, complete, byte-for-byte stable;
and SBOMs of other tools (CycloneDX, SPDX) read back as components."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from evidencepack.errors import InputError
from evidencepack.scanners.deps.inventory import build_inventory
from evidencepack.scanners.deps.model import Inventory
from evidencepack.scanners.deps.sbom import cyclonedx_json
from evidencepack.scanners.deps.sbom_input import parse_sbom, read_sbom

from .conftest import LOCKFILES, SCHEMAS

SBOMS = LOCKFILES.parent / "sboms"
WHEN = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _validator() -> Draft7Validator:
    def load(name: str) -> Resource[Any]:
        return Resource.from_contents(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))

    registry: Registry[Any] = Registry().with_resources([
        ("spdx.schema.json", load("spdx.schema.json")),
        ("jsf-0.82.schema.json", load("jsf-0.82.schema.json")),
        ("http://cyclonedx.org/schema/spdx.schema.json", load("spdx.schema.json")),
        ("http://cyclonedx.org/schema/jsf-0.82.schema.json", load("jsf-0.82.schema.json")),
    ])
    schema = json.loads((SCHEMAS / "bom-1.6.schema.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def every_format(tmp_path_factory: pytest.TempPathFactory) -> Inventory:
    root = tmp_path_factory.mktemp("all")
    for case in LOCKFILES.iterdir():
        shutil.copytree(case, root / case.name)
    return build_inventory(root)


def _sbom(inventory: Inventory, **kwargs: Any) -> bytes:
    args: dict[str, Any] = {"repository": "acme/shop", "commit": "a" * 40, "tool_version": "0.1.0",
                            "timestamp": WHEN}
    args.update(kwargs)
    return cyclonedx_json(inventory, **args)


def test_sbom_of_every_format_is_valid_cyclonedx_1_6(every_format: Inventory) -> None:
    document = json.loads(_sbom(every_format))
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []
    assert document["specVersion"] == "1.6"
    assert len(every_format.components) > 100


def test_the_validator_rejects_a_broken_sbom(every_format: Inventory) -> None:
    document = json.loads(_sbom(every_format))
    document["components"][0]["hashes"] = [{"alg": "SHA-256", "content": "not hex"}]
    assert list(_validator().iter_errors(document))


def test_sbom_lists_every_component_with_purl_and_hashes(every_format: Inventory) -> None:
    document = json.loads(_sbom(every_format))
    purls = {c["purl"] for c in document["components"]}
    assert purls == {c.purl for c in every_format.components}
    assert len({c["bom-ref"] for c in document["components"]}) == len(document["components"])
    semver = next(c for c in document["components"] if c["purl"] == "pkg:npm/semver@7.6.0")
    assert semver["hashes"][0]["alg"] == "SHA-512"
    assert {"name": "evidencepack:lockfile", "value": "npm-v3/package-lock.json"} in semver["properties"]
    pytest_dev = next(c for c in document["components"] if c["purl"] == "pkg:npm/%40types/react@18.2.79")
    assert pytest_dev["scope"] == "excluded" and pytest_dev["group"] == "@types"


def test_repository_is_the_metadata_component_and_roots_the_graph(every_format: Inventory) -> None:
    document = json.loads(_sbom(every_format))
    root = document["metadata"]["component"]
    assert root["name"] == "acme/shop" and root["version"] == "a" * 40
    assert document["metadata"]["timestamp"] == "2026-11-02T10:00:00+00:00"
    assert document["metadata"]["tools"]["components"][0]["name"] == "evidencepack"
    graph = {d["ref"]: d.get("dependsOn", []) for d in document["dependencies"]}
    assert "pkg:npm/semver@7.6.0" in graph[root["bom-ref"]]
    assert graph["pkg:npm/semver@7.6.0"] == ["pkg:npm/lru-cache@6.0.0"]
    refs = {c["bom-ref"] for c in document["components"]} | {root["bom-ref"]}
    assert all(ref in refs for deps in graph.values() for ref in deps)


def test_sbom_is_deterministic(tmp_path: Path, every_format: Inventory) -> None:
    first = _sbom(every_format)
    assert _sbom(every_format) == first
    # a second tree with the same lockfiles, found in another order, gives the same bytes
    again = tmp_path / "again"
    for case in sorted(LOCKFILES.iterdir(), reverse=True):
        shutil.copytree(case, again / case.name)
    assert _sbom(build_inventory(again)) == first
    assert json.loads(first)["serialNumber"].startswith("urn:uuid:")


def test_serial_number_follows_the_content(every_format: Inventory) -> None:
    serial = json.loads(_sbom(every_format))["serialNumber"]
    assert json.loads(_sbom(every_format, commit="b" * 40))["serialNumber"] != serial
    smaller = Inventory(lockfiles=every_format.lockfiles, components=every_format.components[1:])
    assert json.loads(_sbom(smaller))["serialNumber"] != serial


def test_empty_inventory_gives_a_valid_sbom() -> None:
    document = json.loads(_sbom(Inventory(lockfiles=(), components=()), repository=None, commit=None))
    assert list(_validator().iter_errors(document)) == []
    assert "components" not in document or document["components"] == []


# --- ingestion -------------------------------------------------------------------------


def test_syft_cyclonedx_is_read() -> None:
    result = read_sbom(SBOMS / "syft-1.18.1.cdx.json", "syft.cdx.json")
    assert result.error is None and result.format == "cyclonedx-json 1.6"
    purls = sorted(c.purl for c in result.components)
    assert "pkg:cargo/rand@0.8.5" in purls and "pkg:pypi/flask@2.3.3" in purls
    assert "pkg:npm/%40babel/runtime@7.24.4" in purls
    assert len(purls) == 20
    rand = next(c for c in result.components if c.purl == "pkg:cargo/rand@0.8.5")
    assert rand.dependencies == ("pkg:cargo/cfg-if@1.0.0",)
    assert all(c.source == "syft.cdx.json" for c in result.components)


def test_syft_spdx_gives_the_same_components_as_its_cyclonedx() -> None:
    spdx = read_sbom(SBOMS / "syft-1.18.1.spdx.json", "syft.spdx.json")
    cdx = read_sbom(SBOMS / "syft-1.18.1.cdx.json", "syft.cdx.json")
    assert spdx.error is None and spdx.format == "spdx-json 2.3"
    assert sorted(c.purl for c in spdx.components) == sorted(c.purl for c in cdx.components)
    flask = next(c for c in spdx.components if c.purl == "pkg:pypi/flask@2.3.3")
    assert flask.dependencies  # from DEPENDS_ON / DEPENDENCY_OF relationships


def test_cyclonedx_1_4_of_cyclonedx_py_is_read() -> None:
    result = read_sbom(SBOMS / "cyclonedx-py-7.5.0-1.4.cdx.json")
    assert result.error is None and result.format == "cyclonedx-json 1.4"
    assert sorted(c.name for c in result.components) == [
        "certifi", "charset-normalizer", "django", "idna", "pywin32", "requests", "urllib3"]


def test_our_own_sbom_reads_back_to_the_same_components(every_format: Inventory) -> None:
    result = parse_sbom(_sbom(every_format), "sbom.cdx.json")
    assert result.error is None
    assert {c.purl for c in result.components} == {c.purl for c in every_format.components}
    semver = next(c for c in result.components if c.purl == "pkg:npm/semver@7.6.0")
    assert semver.dependencies == ("pkg:npm/lru-cache@6.0.0",)
    assert semver.hashes and semver.hashes[0][0] == "SHA-512"


@pytest.mark.parametrize(("document", "error"), [
    (b"{", "Expecting property name"),
    (b"[]", "the SBOM is not an object"),
    (b'{"hello": 1}', "neither CycloneDX"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.2", "components": []}', "specVersion '1.2'"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": {}}', "components is not a list"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"purl": "nope"}]}',
     "invalid purl"),
    (b'{"spdxVersion": "SPDX-2.2", "packages": []}', "is not SPDX-2.3"),
    (b'{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "dataLicense": "CC0-1.0"}',
     "has no name"),
    (b'{"spdxVersion": "SPDX-2.3", "SPDXID": "x", "name": "x", "dataLicense": "CC0-1.0", '
     b'"packages": [{"name": "a"}]}', "has no SPDXID"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_malformed_sbom_is_an_error(document: bytes, error: str) -> None:
    result = parse_sbom(document, "x.json")
    assert result.components == ()
    assert result.error is not None and error in result.error


def test_sbom_components_of_other_ecosystems_are_listed_not_dropped() -> None:
    document = {
        "bomFormat": "CycloneDX", "specVersion": "1.5",
        "components": [
            {"type": "library", "name": "openssl", "version": "3.0.2",
             "purl": "pkg:deb/ubuntu/openssl@3.0.2"},
            {"type": "library", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"},
            {"type": "library", "name": "mystery", "version": "1"},
        ],
    }
    result = parse_sbom(json.dumps(document).encode(), "x.json")
    assert [c.purl for c in result.components] == ["pkg:npm/left-pad@1.3.0"]
    assert result.unresolved == ("openssl@3.0.2 (pkg:deb/ubuntu/openssl@3.0.2)", "mystery@1 (no purl)")


def test_missing_sbom_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_sbom(tmp_path / "missing.json")
    with pytest.raises(InputError, match="not a regular file"):
        read_sbom(tmp_path)


def test_given_sboms_join_the_inventory(tmp_path: Path) -> None:
    shutil.copytree(LOCKFILES / "cargo", tmp_path / "repo")
    inventory = build_inventory(tmp_path / "repo", [SBOMS / "cyclonedx-py-7.5.0-1.4.cdx.json"])
    assert sorted(lf.path for lf in inventory.lockfiles) == sorted([
        "Cargo.lock", str(SBOMS / "cyclonedx-py-7.5.0-1.4.cdx.json")])
    assert {c.ecosystem for c in inventory.components} == {"crates.io", "PyPI"}
