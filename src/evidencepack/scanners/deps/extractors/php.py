"""PHP: composer.lock (`packages` and `packages-dev`)."""

from __future__ import annotations

from pathlib import PurePosixPath

from ..components import component, hex_hash, link_by_name, vcs_qualifier
from ..interface import Extractor, LockfileError, LockfileInput, expect, load_json
from ..model import Component, LockfileResult

PACKAGIST = "Packagist"


class ComposerLockExtractor(Extractor):
    format = "composer.lock"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "composer.lock"

    def extract(self, file: LockfileInput) -> LockfileResult:
        data = expect(load_json(file.text), dict, "composer.lock")
        if "packages" not in data:
            raise LockfileError("no `packages` list: not a composer.lock")
        direct = self._direct(file)
        out: list[Component] = []
        edges: dict[str, list[str]] = {}
        for section, scope in (("packages", None), ("packages-dev", "dev")):
            for p in expect(data.get(section) or [], list, section):
                expect(p, dict, f"an entry of {section}")
                name, version = p.get("name"), p.get("version")
                if not isinstance(name, str) or not isinstance(version, str):
                    raise LockfileError(f"an entry of {section} has no name or version")
                dist = p.get("dist") if isinstance(p.get("dist"), dict) else {}
                shasum = dist.get("shasum")
                hashes = [h for h in [hex_hash(f"sha1:{shasum}")] if h] if shasum else []
                source = p.get("source") if isinstance(p.get("source"), dict) else {}
                qualifiers = None
                if dist.get("type") == "path" or (dist.get("type") is None and source.get("type") == "path"):
                    continue  # a path repository: this project's own package
                if source.get("type") == "git" and not dist.get("url") and isinstance(source.get("url"), str):
                    qualifiers = vcs_qualifier(source["url"], source.get("reference"))
                out.append(component(PACKAGIST, name, version, file.path, scope=scope,
                                     direct=None if direct is None else name.lower() in direct,
                                     hashes=hashes, qualifiers=qualifiers))
                require = p.get("require") if isinstance(p.get("require"), dict) else {}
                edges[name.lower()] = [r.lower() for r in require if "/" in r]
        out = link_by_name(out, edges)
        return self.result(file, out)

    def _direct(self, file: LockfileInput) -> set[str] | None:
        data = file.sibling_json("composer.json")
        if data is None:
            return None
        return {k.lower() for section in ("require", "require-dev")
                if isinstance(data.get(section), dict) for k in data[section] if "/" in k}
