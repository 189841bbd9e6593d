"""Python: pinned requirements files, poetry.lock, uv.lock, Pipfile.lock, pdm.lock."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..components import component, hex_hash, link_by_name, vcs_qualifier
from ..interface import Extractor, LockfileError, LockfileInput, expect, load_json, load_toml
from ..model import Component, LockfileResult

PYPI = "PyPI"

_COMMENT = re.compile(r"(^|\s)#.*$")
_HASH_OPTION = re.compile(r"\s--hash[=\s]+(\S+)")
_OTHER_OPTION = re.compile(r"\s--(?:global-option|install-option|config-settings)[=\s]+\S+")
_IGNORED_OPTIONS = (
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host",
    "--no-binary", "--only-binary", "--pre", "--prefer-binary", "--require-hashes",
    "--no-index", "--use-feature", "-Z", "--always-unzip",
)


def _name(name: str) -> str:
    return str(canonicalize_name(name))


def pinned_version(req: Requirement) -> str | None:
    """The version of `name==1.2.3` (or `===`); None for any other specifier."""
    specs = list(req.specifier)
    if req.url or len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
        return None
    return specs[0].version


def pyproject_direct(file: LockfileInput) -> set[str] | None:
    """Direct dependency names (runtime and development) from the pyproject.toml beside the lock."""
    text = file.read(file.sibling("pyproject.toml"))
    if text is None:
        return None
    try:
        data = load_toml(text)
    except ValueError:
        return None
    runtime: set[str] = set()
    dev: set[str] = set()

    def add_pep508(target: set[str], items: Any) -> None:
        for item in items if isinstance(items, list) else ():
            if isinstance(item, str):
                try:
                    target.add(_name(Requirement(item).name))
                except InvalidRequirement:
                    continue

    project = data.get("project")
    if isinstance(project, dict):
        add_pep508(runtime, project.get("dependencies"))
        optional = project.get("optional-dependencies")
        for items in optional.values() if isinstance(optional, dict) else ():
            add_pep508(runtime, items)
    groups = data.get("dependency-groups")
    for items in groups.values() if isinstance(groups, dict) else ():
        add_pep508(dev, items)
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        deps = poetry.get("dependencies")
        runtime.update(_name(k) for k in (deps if isinstance(deps, dict) else {}) if k != "python")
        old_dev = poetry.get("dev-dependencies")
        dev.update(_name(k) for k in (old_dev if isinstance(old_dev, dict) else {}))
        poetry_groups = poetry.get("group")
        for group in poetry_groups.values() if isinstance(poetry_groups, dict) else ():
            gdeps = group.get("dependencies") if isinstance(group, dict) else None
            dev.update(_name(k) for k in (gdeps if isinstance(gdeps, dict) else {}))
    pdm = tool.get("pdm") if isinstance(tool, dict) else None
    if isinstance(pdm, dict):
        pdm_dev = pdm.get("dev-dependencies")
        for items in pdm_dev.values() if isinstance(pdm_dev, dict) else ():
            add_pep508(dev, items)
    uv = tool.get("uv") if isinstance(tool, dict) else None
    if isinstance(uv, dict):
        add_pep508(dev, uv.get("dev-dependencies"))
    return (runtime | dev) or None


# --- requirements files ---------------------------------------------------------------


@dataclass
class _RequirementsState:
    components: list[Component] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, line) with `\\` continuations joined and comments removed."""
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not buffer:
            start = number
        line = raw
        if line.endswith("\\"):
            buffer.append(line[:-1])
            continue
        buffer.append(line)
        joined = _COMMENT.sub("", " ".join(buffer)).strip()
        buffer = []
        if joined:
            yield start, joined
    if buffer:
        joined = _COMMENT.sub("", " ".join(buffer)).strip()
        if joined:
            yield start, joined


def _via(text: str) -> dict[str, list[str]]:
    """pip-compile's `# via` annotations: package name -> what requires it."""
    out: dict[str, list[str]] = {}
    current: str | None = None
    in_via = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            in_via = False
            if raw[:1].isspace() or line.startswith("-"):
                continue  # a `--hash` continuation or an option: still the same requirement
            first = re.split(r"[\s=<>!~;\[@\\]", line, maxsplit=1)[0]
            current = _name(first) if first else None
            continue
        body = line.lstrip("#").strip()
        if body.startswith("via") and current is not None:
            in_via = True
            rest = body[3:].strip()
            out.setdefault(current, [])
            if rest:
                out[current].append(rest)
        elif in_via and current is not None and body:
            out[current].append(body)
        else:
            in_via = False
    return out


class RequirementsExtractor(Extractor):
    format = "requirements.txt"

    def matches(self, path: PurePosixPath) -> bool:
        name = path.name.lower()
        return name.endswith(".txt") and name.startswith("requirements")

    def extract(self, file: LockfileInput) -> LockfileResult:
        state = _RequirementsState()
        self._read(file, file.path, file.text, state, depth=0)
        return self.result(file, state.components, unresolved=state.unresolved)

    def _read(self, file: LockfileInput, path: str, text: str, state: _RequirementsState,
              depth: int) -> None:
        if path in state.seen:
            return
        state.seen.add(path)
        if depth > 20:
            raise LockfileError(f"{path}: -r includes nested deeper than 20 files")
        via = _via(text)
        found: list[tuple[str, str, str, list[tuple[str, str]]]] = []
        for number, line in _logical_lines(text):
            where = f"{path}:{number}"
            option, _, argument = line.partition(" ")
            if "=" in option and option.startswith("--"):
                option, _, argument = line.partition("=")
            argument = argument.strip()
            if option in ("-r", "--requirement"):
                self._include(file, path, argument, where, state, depth)
                continue
            if option in ("-c", "--constraint") or option in _IGNORED_OPTIONS:
                continue
            if option in ("-e", "--editable"):
                if not argument.startswith((".", "/", "file:")):
                    state.unresolved.append(f"{where}: {argument} (editable, no version)")
                continue
            if line.startswith("-"):
                raise LockfileError(f"{where}: unknown option {option}")
            hashes = [h for h in (hex_hash(m) for m in _HASH_OPTION.findall(" " + line)) if h]
            spec = _OTHER_OPTION.sub("", _HASH_OPTION.sub("", " " + line)).strip()
            if spec.startswith((".", "/")) or re.match(r"^[a-z+]+://", spec):
                state.unresolved.append(f"{where}: {spec} (a path or URL, no version)")
                continue
            try:
                req = Requirement(spec)
            except InvalidRequirement as exc:
                raise LockfileError(f"{where}: not a requirement: {exc}") from None
            version = pinned_version(req)
            if version is None:
                state.unresolved.append(f"{where}: {spec} (not pinned with ==)")
                continue
            found.append((_name(req.name), version, path, hashes))
        annotated = bool(via)
        edges: dict[str, list[str]] = {}
        for child, parents in via.items():
            for parent in parents:
                if not parent.startswith("-"):
                    edges.setdefault(_name(parent.split()[0]), []).append(child)
        here = []
        for name, version, source, hashes in found:
            parents = via.get(name, [])
            direct = any(p.startswith(("-r ", "-c ")) for p in parents) if annotated else None
            here.append(component(PYPI, name, version, source, direct=direct, hashes=hashes))
        state.components.extend(link_by_name(here, edges))

    def _include(self, file: LockfileInput, path: str, argument: str, where: str,
                 state: _RequirementsState, depth: int) -> None:
        if re.match(r"^[a-z+]+://", argument):
            state.unresolved.append(f"{where}: -r {argument} (a URL, not read)")
            return
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), argument))
        if target.startswith("../") or target == ".." or posixpath.isabs(target):
            raise LockfileError(f"{where}: -r {argument} leads outside the tree")
        if target in state.seen:
            return  # an include cycle, or a file read already: not read again
        text = file.read(target)
        if text is None:
            raise LockfileError(f"{where}: -r {argument}: no such file")
        self._read(file, target, text, state, depth + 1)


# --- poetry.lock ----------------------------------------------------------------------


def _packages(data: dict[str, Any], what: str) -> list[dict[str, Any]]:
    packages: list[dict[str, Any]] = expect(data.get("package", []), list, what)
    for p in packages:
        expect(p, dict, f"a [[package]] entry of {what}")
        expect(p.get("name"), str, "package name")
        expect(p.get("version"), str, f"version of {p['name']}")
    return packages


def _file_hashes(files: Any) -> list[tuple[str, str]]:
    out = []
    for f in files if isinstance(files, list) else ():
        h = hex_hash(f.get("hash", "")) if isinstance(f, dict) else None
        if h:
            out.append(h)
    return out


def _local(source: Any) -> bool:
    return isinstance(source, dict) and source.get("type") in ("directory", "file") and \
        not str(source.get("url", "")).endswith((".whl", ".tar.gz", ".zip"))


class PoetryLockExtractor(Extractor):
    format = "poetry.lock"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "poetry.lock"

    def extract(self, file: LockfileInput) -> LockfileResult:
        data = load_toml(file.text)
        packages = _packages(data, "poetry.lock")
        direct = pyproject_direct(file)
        kept = [p for p in packages if not _local(p.get("source"))]
        edges = {}
        for p in kept:
            deps = p.get("dependencies", {})
            edges[_name(p["name"])] = [_name(d) for d in (deps if isinstance(deps, dict) else {})]
        # Poetry 1.x wrote hashes under [metadata.files], 1.2+ in each package's `files`.
        meta_files = _dict(_dict(data.get("metadata")).get("files"))
        out = []
        for p in kept:
            name = _name(p["name"])
            category = p.get("category")
            groups = p.get("groups")
            scope = None
            if category == "dev" or (isinstance(groups, list) and groups and "main" not in groups):
                scope = "dev"
            elif p.get("optional") is True:
                scope = "optional"
            files = p.get("files") or meta_files.get(p["name"]) or meta_files.get(name)
            out.append(component(
                PYPI, name, p["version"], file.path,
                direct=None if direct is None else name in direct,
                scope=scope, hashes=_file_hashes(files), qualifiers=_vcs(p.get("source")),
            ))
        out = link_by_name(out, edges)
        return self.result(file, out)


def _vcs(source: Any) -> dict[str, str] | None:
    if isinstance(source, dict) and source.get("type") == "git" and source.get("url"):
        return vcs_qualifier(str(source["url"]), source.get("resolved_reference") or source.get("reference"))
    return None


# --- uv.lock --------------------------------------------------------------------------


class UvLockExtractor(Extractor):
    format = "uv.lock"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "uv.lock"

    def extract(self, file: LockfileInput) -> LockfileResult:
        data = load_toml(file.text)
        if "version" not in data:
            raise LockfileError("no lockfile `version`: not a uv.lock")
        packages = expect(data.get("package", []), list, "package")
        roots: list[dict[str, Any]] = []
        kept: list[dict[str, Any]] = []
        for p in packages:
            expect(p, dict, "a [[package]] entry")
            expect(p.get("name"), str, "package name")
            source = p.get("source", {})
            if isinstance(source, dict) and ({"editable", "virtual", "directory", "path"} & source.keys()):
                if {"editable", "virtual"} & source.keys() or source.get("directory") == ".":
                    roots.append(p)
                continue
            expect(p.get("version"), str, f"version of {p['name']}")
            kept.append(p)
        runtime: set[str] = set()
        dev: set[str] = set()
        for root in roots:
            runtime.update(_name(d["name"]) for d in _dep_list(root.get("dependencies")))
            for items in _dict(root.get("optional-dependencies")).values():
                runtime.update(_name(d["name"]) for d in _dep_list(items))
            for items in _dict(root.get("dev-dependencies")).values():
                dev.update(_name(d["name"]) for d in _dep_list(items))
        edges: dict[str, list[str]] = {}
        for p in kept:
            deps = [d["name"] for d in _dep_list(p.get("dependencies"))]
            for items in _dict(p.get("optional-dependencies")).values():
                deps.extend(d["name"] for d in _dep_list(items))
            edges[_name(p["name"])] = [_name(d) for d in deps]
        out = []
        for p in kept:
            name = _name(p["name"])
            hashes = _file_hashes([p.get("sdist", {}), *(p.get("wheels") or [])])
            source = p.get("source", {})
            qualifiers = None
            if isinstance(source, dict) and "git" in source:
                qualifiers = {"vcs_url": f"git+{source['git']}"}
            out.append(component(
                PYPI, name, p["version"], file.path,
                direct=(name in runtime | dev) if roots else None,
                scope="dev" if name in dev and name not in runtime else None,
                hashes=hashes, qualifiers=qualifiers,
            ))
        out = link_by_name(out, edges)
        return self.result(file, out)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dep_list(value: Any) -> list[dict[str, Any]]:
    return [d for d in (value if isinstance(value, list) else ()) if isinstance(d, dict) and "name" in d]


# --- Pipfile.lock ---------------------------------------------------------------------


class PipfileLockExtractor(Extractor):
    format = "Pipfile.lock"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "Pipfile.lock"

    def extract(self, file: LockfileInput) -> LockfileResult:
        data = expect(load_json(file.text), dict, "Pipfile.lock")
        if "_meta" not in data:
            raise LockfileError("no `_meta` section: not a Pipfile.lock")
        out = []
        unresolved = []
        for section, scope in (("default", None), ("develop", "dev")):
            entries = expect(data.get(section, {}), dict, section)
            for raw_name, entry in sorted(entries.items()):
                expect(entry, dict, f"{section}.{raw_name}")
                version = entry.get("version")
                if not isinstance(version, str):
                    if "path" in entry or entry.get("editable"):
                        continue  # a package of this repository, not a dependency
                    unresolved.append(f"{section}.{raw_name} (no pinned version)")
                    continue
                if not version.startswith("=="):
                    raise LockfileError(f"{section}.{raw_name}: version {version!r} is not pinned")
                listed = entry.get("hashes", [])
                hashes = [h for h in (hex_hash(x) for x in listed if isinstance(x, str)) if h]
                out.append(component(PYPI, raw_name, version.lstrip("="), file.path, scope=scope,
                                     hashes=hashes))
        return self.result(file, out, unresolved=unresolved)


# --- pdm.lock -------------------------------------------------------------------------


class PdmLockExtractor(Extractor):
    format = "pdm.lock"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "pdm.lock"

    def extract(self, file: LockfileInput) -> LockfileResult:
        data = load_toml(file.text)
        if "metadata" not in data:
            raise LockfileError("no [metadata] table: not a pdm.lock")
        packages = _packages(data, "pdm.lock")
        kept = [p for p in packages if "path" not in p and not p.get("editable")]
        edges: dict[str, list[str]] = {}
        for p in kept:
            names = []
            for dep in p.get("dependencies", []) if isinstance(p.get("dependencies"), list) else ():
                try:
                    names.append(_name(Requirement(dep).name))
                except InvalidRequirement:
                    continue
            edges[_name(p["name"])] = names
        meta_files = _dict(_dict(data.get("metadata")).get("files"))
        direct = pyproject_direct(file)
        out = []
        for p in kept:
            name = _name(p["name"])
            groups = p.get("groups")
            scope = "dev" if isinstance(groups, list) and groups and "default" not in groups else None
            files = p.get("files") or meta_files.get(f"{p['name']} {p['version']}")
            qualifiers = vcs_qualifier(p["git"], p.get("revision")) if isinstance(p.get("git"), str) else None
            out.append(component(
                PYPI, name, p["version"], file.path,
                direct=None if direct is None else name in direct,
                scope=scope, hashes=_file_hashes(files), qualifiers=qualifiers,
            ))
        out = link_by_name(out, edges)
        return self.result(file, out)
