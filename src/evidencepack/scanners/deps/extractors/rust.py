"""Rust: Cargo.lock (v1 `[metadata]` checksums and v2+ per-package `checksum`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from ..components import component
from ..interface import Extractor, LockfileError, LockfileInput, expect, load_toml
from ..model import LockfileResult

CRATES = "crates.io"


class CargoLockExtractor(Extractor):
    format = "Cargo.lock"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "Cargo.lock"

    def extract(self, file: LockfileInput) -> LockfileResult:
        data = load_toml(file.text)
        packages: list[dict[str, Any]] = expect(data.get("package", []), list, "package")
        metadata = data.get("metadata", {}) if isinstance(data.get("metadata"), dict) else {}
        by_name: dict[str, list[dict[str, Any]]] = {}
        for p in packages:
            expect(p, dict, "a [[package]] entry")
            if not isinstance(p.get("name"), str) or not isinstance(p.get("version"), str):
                raise LockfileError("a [[package]] entry has no name or version")
            by_name.setdefault(p["name"], []).append(p)

        def purl_key(p: dict[str, Any]) -> tuple[str, str]:
            return p["name"], p["version"]

        def resolve(spec: str) -> dict[str, Any] | None:
            # "name", "name version" or "name version (source)"
            tokens = spec.split(" ", 2)
            candidates = by_name.get(tokens[0], [])
            if len(tokens) > 1:
                candidates = [p for p in candidates if p["version"] == tokens[1]]
            return candidates[0] if len(candidates) == 1 else None

        local = [p for p in packages if "source" not in p]  # the workspace's own crates
        kept = [p for p in packages if "source" in p]
        built = {}
        direct: set[tuple[str, str]] = set()
        for p in local:
            for spec in p.get("dependencies", []) or []:
                target = resolve(spec)
                if target is not None and "source" in target:
                    direct.add(purl_key(target))
        for p in kept:
            source = str(p["source"])
            checksum = p.get("checksum") or metadata.get(f"checksum {p['name']} {p['version']} ({source})")
            hashes = []
            if isinstance(checksum, str) and len(checksum) == 64:
                hashes.append(("SHA-256", checksum.lower()))
            qualifiers = {"vcs_url": source} if source.startswith("git+") else None
            built[purl_key(p)] = component(
                CRATES, p["name"], p["version"], file.path,
                direct=purl_key(p) in direct if local else None, hashes=hashes, qualifiers=qualifiers,
            )
        out = []
        for p in kept:
            c = built[purl_key(p)]
            deps = set()
            for spec in p.get("dependencies", []) or []:
                target = resolve(spec)
                if target is not None and purl_key(target) in built:
                    deps.add(built[purl_key(target)].purl)
            out.append(replace(c, dependencies=tuple(sorted(deps))))
        return self.result(file, out)
