""".NET: NuGet packages.lock.json."""

from __future__ import annotations

from pathlib import PurePosixPath

from ..components import base64_hash, component
from ..interface import Extractor, LockfileError, LockfileInput, expect, load_json
from ..model import Component, LockfileResult

NUGET = "NuGet"


class NugetLockExtractor(Extractor):
    format = "packages.lock.json"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "packages.lock.json"

    def extract(self, file: LockfileInput) -> LockfileResult:
        data = expect(load_json(file.text), dict, "packages.lock.json")
        if "dependencies" not in data:
            raise LockfileError("no `dependencies`: not a NuGet packages.lock.json")
        frameworks = expect(data["dependencies"], dict, "dependencies")
        found: dict[tuple[str, str], dict[str, object]] = {}
        resolved_by_name: dict[tuple[str, str], str] = {}
        for framework, packages in frameworks.items():
            expect(packages, dict, f"dependencies[{framework!r}]")
            for name, entry in packages.items():
                expect(entry, dict, f"{framework}/{name}")
                if entry.get("type") == "Project":
                    continue  # another project of this solution
                version = entry.get("resolved")
                if not isinstance(version, str):
                    raise LockfileError(f"{framework}/{name} has no resolved version")
                resolved_by_name[(framework, name.lower())] = version
                seen = found.setdefault((name, version), {"direct": False, "hash": None, "deps": set()})
                if entry.get("type") == "Direct":
                    seen["direct"] = True
                if isinstance(entry.get("contentHash"), str):
                    seen["hash"] = entry["contentHash"]
                deps = entry.get("dependencies") if isinstance(entry.get("dependencies"), dict) else {}
                deps_set = seen["deps"]
                assert isinstance(deps_set, set)
                deps_set.update((framework, d.lower()) for d in deps)
        out: list[Component] = []
        for (name, version), info in sorted(found.items()):
            h = base64_hash("SHA-512", str(info["hash"])) if info["hash"] else None
            deps_set = info["deps"]
            assert isinstance(deps_set, set)
            deps = []
            for fw, dep in deps_set:
                dep_version = resolved_by_name.get((fw, dep))
                real = next((n for n, v in found if n.lower() == dep and v == dep_version), None)
                if real is not None and dep_version is not None:
                    deps.append(component(NUGET, real, dep_version, file.path).purl)
            out.append(component(NUGET, name, version, file.path, direct=bool(info["direct"]),
                                 hashes=[h] if h else [], dependencies=deps))
        return self.result(file, out)
