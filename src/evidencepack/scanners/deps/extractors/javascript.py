"""JavaScript: package-lock.json (v1-v3), yarn.lock (classic and berry), pnpm-lock.yaml.

Workspace members and `file:`/`link:` packages are the project's own code, not
third-party components: they are left out, and their dependencies count as direct.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from ....errors import YamlError
from ....yamltree import YamlDocument, parse_yaml
from ..components import component, hex_hash, sri_hashes, vcs_qualifier
from ..interface import Extractor, LockfileError, LockfileInput, expect, load_json
from ..model import Component, LockfileResult

NPM = "npm"
_DEP_KEYS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
_LOCAL = ("file:", "link:", "workspace:", "portal:")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def load_yaml(file: LockfileInput) -> YamlDocument:
    """The lockfile as YAML through the guarded loader (aliases never expanded, size bounded)."""
    try:
        return parse_yaml(file.text, source=file.path)
    except YamlError:
        # The C parser refuses `{tarball: https://...}` flow mappings that pnpm writes.
        return parse_yaml(file.text, source=file.path, pure=True)


def package_json_direct(file: LockfileInput) -> tuple[set[str], set[str]] | None:
    """(runtime, dev) dependency names of the package.json beside the lockfile."""
    data = file.sibling_json("package.json")
    if data is None:
        return None
    runtime = {n for k in ("dependencies", "optionalDependencies", "peerDependencies")
               for n in _mapping(data.get(k))}
    return runtime, set(_mapping(data.get("devDependencies")))


def _hashes(integrity: Any, resolved: Any = None) -> list[tuple[str, str]]:
    out = sri_hashes(integrity) if isinstance(integrity, str) else []
    if not out and isinstance(resolved, str) and resolved.startswith("http") and ".tgz#" in resolved:
        # Old yarn and npm wrote the tarball's SHA-1 after `#` in the URL.
        sha1 = hex_hash("sha1:" + resolved.rsplit("#", 1)[1])
        if sha1:
            out.append(sha1)
    return out


def _vcs(resolved: Any) -> dict[str, str] | None:
    if isinstance(resolved, str) and resolved.startswith(("git+", "git:", "github:")):
        return {"vcs_url": resolved if resolved.startswith("git") else f"git+https://github.com/{resolved[7:]}"}
    return None


def _scope(dev: Any, optional: Any, dev_optional: Any = None) -> str | None:
    if dev is True or dev_optional is True:
        return "dev"
    if optional is True:
        return "optional"
    return None


# --- package-lock.json ----------------------------------------------------------------


def _alias(version: str) -> tuple[str, str] | None:
    """`npm:real-name@1.2.3` -> (real-name, 1.2.3)."""
    if not version.startswith("npm:"):
        return None
    spec = version[4:]
    at = spec.rfind("@")
    return (spec[:at], spec[at + 1:]) if at > 0 else None


class PackageLockExtractor(Extractor):
    format = "package-lock.json"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name in ("package-lock.json", "npm-shrinkwrap.json")

    def extract(self, file: LockfileInput) -> LockfileResult:
        data = expect(load_json(file.text), dict, "package-lock.json")
        version = data.get("lockfileVersion")
        if version not in (1, 2, 3):
            raise LockfileError(f"lockfileVersion {version!r} is not 1, 2 or 3")
        if version == 1 or "packages" not in data:
            return self._v1(file, data)
        return self._v2(file, data, version)

    def _v2(self, file: LockfileInput, data: dict[str, Any], version: int) -> LockfileResult:
        packages = expect(data["packages"], dict, "packages")
        entries: dict[str, dict[str, Any]] = {}
        for key, entry in packages.items():
            entries[key] = expect(entry, dict, f"packages[{key!r}]")
        built: dict[str, Component] = {}
        for key, entry in entries.items():
            if "node_modules/" not in key or entry.get("link") or (
                    entry.get("inBundle") and "version" not in entry):
                continue
            resolved = entry.get("resolved")
            if isinstance(resolved, str) and resolved.startswith(_LOCAL):
                continue
            name = entry.get("name") or key.rsplit("node_modules/", 1)[1]
            ver = entry.get("version")
            if not isinstance(ver, str) or not isinstance(name, str):
                raise LockfileError(f"packages[{key!r}] has no version")
            built[key] = component(
                NPM, name, ver, file.path,
                scope=_scope(entry.get("dev"), entry.get("optional"), entry.get("devOptional")),
                hashes=_hashes(entry.get("integrity"), resolved), qualifiers=_vcs(resolved),
            )
        # Workspace members (keys outside node_modules) and the root: their dependencies are direct.
        direct: set[str] = set()
        for key, entry in entries.items():
            if "node_modules/" in key:
                continue
            for dep_key in _DEP_KEYS:
                for dep in _mapping(entry.get(dep_key)):
                    target = _resolve_node(entries, key, dep)
                    if target in built:
                        direct.add(built[target].purl)
        out = []
        for key, c in built.items():
            deps = set()
            for dep_key in ("dependencies", "optionalDependencies", "peerDependencies"):
                for dep in _mapping(entries[key].get(dep_key)):
                    target = _resolve_node(entries, key, dep)
                    if target in built:
                        deps.add(built[target].purl)
            out.append(replace(c, direct=c.purl in direct, dependencies=tuple(sorted(deps))))
        return self.result(file, out, format=f"package-lock.json v{version}")

    def _v1(self, file: LockfileInput, data: dict[str, Any]) -> LockfileResult:
        names = package_json_direct(file)
        out: list[Component] = []

        def walk(deps: Mapping[str, Any], path: str, scopes: list[dict[str, str]]) -> dict[str, str]:
            """Read one `dependencies` level; return its name -> purl for resolving `requires`."""
            level: dict[str, str] = {}
            todo = []
            for name, entry in deps.items():
                expect(entry, dict, f"dependencies[{name!r}]")
                ver = entry.get("version")
                if not isinstance(ver, str):
                    raise LockfileError(f"{path}{name} has no version")
                if ver.startswith(_LOCAL):
                    continue
                real, real_version = _alias(ver) or (name, ver)
                qualifiers: dict[str, str] | None = _vcs(entry.get("resolved"))
                if real_version.startswith(("git", "github:", "http")):
                    # A git dependency: v1 records the URL where the version would be.
                    qualifiers = _vcs(real_version) or {"download_url": real_version}
                    real_version = real_version.rsplit("#", 1)[-1]
                c = component(NPM, real, real_version, file.path,
                              direct=None if names is None else not path and name in names[0] | names[1],
                              scope=_scope(entry.get("dev"), entry.get("optional")),
                              hashes=_hashes(entry.get("integrity"), entry.get("resolved")),
                              qualifiers=qualifiers)
                level[name] = c.purl
                todo.append((name, entry, c))
            chain = [*scopes, level]
            for name, entry, c in todo:
                nested = _mapping(entry.get("dependencies"))
                own = walk(nested, f"{path}{name}/", chain) if nested else {}
                lookup = [*chain, own]
                edges = {next((s[r] for s in reversed(lookup) if r in s), "")
                         for r in _mapping(entry.get("requires"))}
                edges.discard("")
                out.append(replace(c, dependencies=tuple(sorted(edges))))
            return level

        walk(_mapping(data.get("dependencies")), "", [])
        return self.result(file, out, format="package-lock.json v1")


def _resolve_node(entries: Mapping[str, Any], base: str, name: str) -> str | None:
    """Node's module resolution: the nearest `node_modules/<name>` from `base` upwards."""
    prefix = base
    while True:
        candidate = f"{prefix}/node_modules/{name}" if prefix else f"node_modules/{name}"
        if candidate in entries:
            return candidate
        if not prefix:
            return None
        cut = prefix.rfind("/node_modules/")
        prefix = prefix[:cut] if cut >= 0 else ""


# --- yarn.lock ------------------------------------------------------------------------


def _split_descriptor(descriptor: str) -> tuple[str, str]:
    """`@scope/name@^1.0.0` -> (`@scope/name`, `^1.0.0`)."""
    at = descriptor.find("@", 1)
    if at < 0:
        raise LockfileError(f"entry {descriptor!r} has no version range")
    return descriptor[:at], descriptor[at + 1:]


class YarnLockExtractor(Extractor):
    format = "yarn.lock"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "yarn.lock"

    def extract(self, file: LockfileInput) -> LockfileResult:
        if "__metadata:" in file.text:
            return self._berry(file)
        return self._classic(file)

    # classic (v1): its own indentation format, not YAML.
    def _classic(self, file: LockfileInput) -> LockfileResult:
        entries: list[tuple[list[str], dict[str, Any]]] = []
        current: dict[str, Any] | None = None
        section: dict[str, str] | None = None
        for number, raw in enumerate(file.text.splitlines(), 1):
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            indent = len(raw) - len(raw.lstrip(" "))
            line = raw.strip()
            if indent == 0:
                if not line.endswith(":"):
                    raise LockfileError(f"line {number}: expected an entry header ending in ':'")
                keys = [k.strip().strip('"') for k in line[:-1].split(",")]
                current = {}
                section = None
                entries.append((keys, current))
            elif current is None:
                raise LockfileError(f"line {number}: field outside of an entry")
            elif indent == 2:
                if line.endswith(":"):
                    section = {}
                    current[line[:-1]] = section
                else:
                    key, _, value = line.partition(" ")
                    current[key] = value.strip().strip('"')
                    section = None
            elif indent >= 4 and section is not None:
                key, _, value = line.partition(" ")
                section[key.strip('"')] = value.strip().strip('"')
            else:
                raise LockfileError(f"line {number}: unexpected indentation")
        by_descriptor: dict[str, Component] = {}
        built: list[tuple[Component, dict[str, Any]]] = []
        names = package_json_direct(file)
        for keys, fields in entries:
            name, spec = _split_descriptor(keys[0])
            if spec.startswith(_LOCAL):
                continue
            real = name
            if spec.startswith("npm:"):
                alias = _alias(spec)
                real = alias[0] if alias else name
            version = fields.get("version")
            if not isinstance(version, str):
                raise LockfileError(f"entry {keys[0]!r} has no version")
            resolved = fields.get("resolved")
            dev_only = names is not None and name in names[1] and name not in names[0]
            c = component(NPM, real, version, file.path,
                          direct=None if names is None else name in names[0] | names[1],
                          scope="dev" if dev_only else None,
                          hashes=_hashes(fields.get("integrity"), resolved),
                          qualifiers=_vcs(resolved))
            built.append((c, fields))
            for key in keys:
                by_descriptor[key] = c
        out = []
        for c, fields in built:
            deps = {by_descriptor[f"{n}@{r}"].purl
                    for section_name in ("dependencies", "optionalDependencies")
                    for n, r in _mapping(fields.get(section_name)).items()
                    if f"{n}@{r}" in by_descriptor}
            out.append(replace(c, dependencies=tuple(sorted(deps))))
        return self.result(file, out, format="yarn.lock v1")

    # berry (v2+): YAML, read with the guarded loader (no alias expansion, bounded size).
    def _berry(self, file: LockfileInput) -> LockfileResult:
        root = expect(load_yaml(file).root, dict, "yarn.lock")
        metadata = _mapping(root.get("__metadata"))
        by_descriptor: dict[str, Component] = {}
        built: list[tuple[Component, dict[str, Any]]] = []
        workspaces: list[dict[str, Any]] = []
        for key, entry in root.items():
            if key == "__metadata":
                continue
            expect(entry, dict, f"entry {key!r}")
            resolution = entry.get("resolution")
            if not isinstance(resolution, str):
                raise LockfileError(f"entry {key!r} has no resolution")
            name, reference = _split_descriptor(resolution)
            if reference.startswith(("workspace:", "link:", "portal:", "file:")):
                if reference.startswith("workspace:"):
                    workspaces.append(entry)
                continue
            if reference.startswith("patch:"):
                continue  # the patched copy of a package listed on its own as well
            version = entry.get("version")
            if not isinstance(version, (str, int, float)):
                raise LockfileError(f"entry {key!r} has no version")
            qualifiers = None if reference.startswith("npm:") else {"vcs_url": reference}
            c = component(NPM, name, str(version), file.path, qualifiers=qualifiers)
            built.append((c, entry))
            for descriptor in str(key).split(","):
                by_descriptor[descriptor.strip()] = c

        def resolve(name: str, spec: Any) -> Component | None:
            spec = str(spec)
            return by_descriptor.get(f"{name}@{spec}") or by_descriptor.get(f"{name}@npm:{spec}")

        direct = {hit.purl for ws in workspaces for section in ("dependencies", "peerDependencies")
                  for n, r in _mapping(ws.get(section)).items() if (hit := resolve(n, r))}
        out = []
        for c, entry in built:
            deps = {d.purl for section in ("dependencies", "peerDependencies")
                    for n, r in _mapping(entry.get(section)).items() if (d := resolve(n, r))}
            out.append(replace(c, direct=(c.purl in direct) if workspaces else None,
                               dependencies=tuple(sorted(deps))))
        version = metadata.get("version", "?")
        return self.result(file, out, format=f"yarn.lock berry (v{version})")


# --- pnpm-lock.yaml -------------------------------------------------------------------

_PEERS = re.compile(r"\(.*$")


def _pnpm_key(key: str, v5: bool = False) -> tuple[str, str] | None:
    """(name, version) of a pnpm package key of any lockfile version, peers removed."""
    key = _PEERS.sub("", key.strip())
    if key.startswith(_LOCAL):
        return None
    key = key.lstrip("/")
    at = key.find("@", 1)
    if at > 0 and not v5:  # v6 `/name@1.0.0`, v9 `name@1.0.0`
        name, version = key[:at], key[at + 1:]
        if "/" in version and not version[0].isdigit():
            return None  # e.g. `name@https://...` tarball keys carry their version in the entry
        return name, version
    parts = key.split("/")  # v5 `/name/1.0.0_peer@1.0.0` and `/@scope/name/1.0.0`
    if len(parts) < 2:
        return None
    version = parts[-1].split("_", 1)[0]
    return "/".join(parts[:-1]), version


def _key_name(key: str) -> str | None:
    """The name of a v9 key whose version part is a URL (`tiny@https://codeload...`)."""
    key = key.lstrip("/")
    at = key.find("@", 1)
    return key[:at] if at > 0 and not key.startswith(("github.com/", "gitlab.com/")) else None


class PnpmLockExtractor(Extractor):
    format = "pnpm-lock.yaml"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name in ("pnpm-lock.yaml", "shrinkwrap.yaml")

    def extract(self, file: LockfileInput) -> LockfileResult:
        root = expect(load_yaml(file).root, dict, "pnpm-lock.yaml")
        lock_version = str(root.get("lockfileVersion", ""))
        if not lock_version:
            raise LockfileError("no lockfileVersion: not a pnpm lockfile")
        v5 = lock_version.startswith("5")
        packages = _mapping(root.get("packages"))
        snapshots = _mapping(root.get("snapshots"))
        built: dict[str, Component] = {}
        by_key: dict[str, Component] = {}
        unresolved: list[str] = []
        for key, entry in packages.items():
            entry = expect(entry, dict, f"packages[{key!r}]")
            resolution = _mapping(entry.get("resolution"))
            if "directory" in resolution or str(key).startswith(_LOCAL):
                continue
            parsed = _pnpm_key(str(key), v5)
            name = entry.get("name") or (parsed[0] if parsed else _key_name(str(key)))
            version = entry.get("version") or (parsed[1] if parsed else None)
            if not isinstance(name, str) or version is None:
                unresolved.append(f"{key} (no name and version)")
                continue
            qualifiers = None
            if resolution.get("type") == "git" and isinstance(resolution.get("repo"), str):
                qualifiers = vcs_qualifier(resolution["repo"], resolution.get("commit"))
            elif isinstance(resolution.get("tarball"), str):
                qualifiers = {"download_url": resolution["tarball"]}
            built[f"{name}@{version}"] = by_key[_PEERS.sub("", str(key)).lstrip("/")] = component(
                NPM, name, str(version), file.path,
                scope=_scope(entry.get("dev"), entry.get("optional")),
                hashes=_hashes(resolution.get("integrity")), qualifiers=qualifiers,
            )

        def resolve(name: str, ref: Any) -> Component | None:
            if isinstance(ref, dict):
                ref = ref.get("version")
            if not isinstance(ref, str | int | float):
                return None
            ref = str(ref)
            if ref.startswith(_LOCAL):
                return None
            bare = _PEERS.sub("", ref).lstrip("/")
            if bare in by_key:
                return by_key[bare]
            if f"{name}@{bare}" in by_key:  # v9: `name@<tarball URL>` keys
                return by_key[f"{name}@{bare}"]
            if ref.startswith("/") or (ref.find("@", 1) > 0 and not ref[0].isdigit() and not v5):
                parsed = _pnpm_key(ref, v5)  # an alias: `/real/1.0.0`, `/real@1.0.0`, `real@1.0.0`
                if parsed is None:
                    return None
                name, ref = parsed
            version = _PEERS.sub("", ref).split("_", 1)[0]
            return built.get(f"{name}@{version}")

        graph_source = snapshots or packages
        edges: dict[str, set[str]] = {}
        for key, entry in graph_source.items():
            parsed = _pnpm_key(str(key), v5)
            entry = _mapping(entry)
            name = entry.get("name") or (parsed[0] if parsed else None)
            version = entry.get("version") or (parsed[1] if parsed else None)
            here = by_key.get(_PEERS.sub("", str(key)).lstrip("/")) or built.get(f"{name}@{version}")
            if here is None:
                continue
            for section in ("dependencies", "optionalDependencies"):
                for dep, ref in _mapping(entry.get(section)).items():
                    target = resolve(dep, ref)
                    if target is not None:
                        edges.setdefault(here.purl, set()).add(target.purl)
        importers = _mapping(root.get("importers")) or {".": root}
        runtime: set[str] = set()
        dev: set[str] = set()
        for importer in importers.values():
            importer = _mapping(importer)
            for section in ("dependencies", "optionalDependencies", "devDependencies"):
                for dep, ref in _mapping(importer.get(section)).items():
                    target = resolve(dep, ref)
                    if target is not None:
                        (dev if section == "devDependencies" else runtime).add(target.purl)
        direct = runtime | dev
        out = []
        for c in built.values():
            scope = c.scope
            if scope is None and c.purl in dev and c.purl not in runtime:
                scope = "dev"
            out.append(replace(c, direct=c.purl in direct, scope=scope,
                               dependencies=tuple(sorted(edges.get(c.purl, ())))))
        return self.result(file, out, format=f"pnpm-lock.yaml v{lock_version}",
                           unresolved=unresolved)

