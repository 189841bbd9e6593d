"""Ruby: Gemfile.lock (GEM and GIT specs, DEPENDENCIES, CHECKSUMS)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..components import component, link_by_name
from ..interface import Extractor, LockfileError, LockfileInput
from ..model import Component, LockfileResult

GEMS = "RubyGems"
_SPEC = re.compile(r"^    (\S+) \(([^)]+)\)$")
_SPEC_DEP = re.compile(r"^      (\S+)(?: \(.*\))?$")
_DEPENDENCY = re.compile(r"^  (\S+?)(!)?(?: \(.*\))?$")
_CHECKSUM = re.compile(r"^  (\S+) \(([^)]+)\)(?: (.*))?$")
_PLATFORMS = re.compile(
    r"-(?:x86|x64|arm|aarch64|universal|java|mswin|mingw|darwin|linux|ruby|jruby|wasm).*$"
)


class GemfileLockExtractor(Extractor):
    format = "Gemfile.lock"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name in ("Gemfile.lock", "gems.locked")

    def extract(self, file: LockfileInput) -> LockfileResult:
        section: str | None = None
        remote: str | None = None
        in_specs = False
        found: list[tuple[str, str, str, str | None]] = []  # name, version, section, remote
        edges: dict[str, list[str]] = {}
        direct: set[str] = set()
        checksums: dict[tuple[str, str], list[tuple[str, str]]] = {}
        current: str | None = None
        for number, line in enumerate(file.text.splitlines(), 1):
            if not line.strip():
                section, in_specs = None, False
                continue
            if not line.startswith(" "):
                section, in_specs, remote = line.strip(), False, None
                continue
            if section in ("GEM", "GIT", "PATH", "PLUGIN SOURCE"):
                if line.startswith("  remote:"):
                    remote = line.split(":", 1)[1].strip()
                elif line.strip() == "specs:":
                    in_specs = True
                elif in_specs and (m := _SPEC.match(line)):
                    name, version = m.group(1), _PLATFORMS.sub("", m.group(2))
                    current = name
                    if section in ("GEM", "GIT"):
                        found.append((name, version, section, remote))
                elif in_specs and (m := _SPEC_DEP.match(line)) and current is not None:
                    edges.setdefault(current, []).append(m.group(1))
                elif in_specs:
                    raise LockfileError(f"line {number}: not a `name (version)` spec")
            elif section == "DEPENDENCIES":
                m = _DEPENDENCY.match(line)
                if m is None:
                    raise LockfileError(f"line {number}: not a dependency")
                direct.add(m.group(1))
            elif section == "CHECKSUMS" and (m := _CHECKSUM.match(line)) and m.group(3):
                for item in m.group(3).split(","):
                    alg, _, digest = item.strip().partition("=")
                    if alg == "sha256" and len(digest) == 64:
                        checksums.setdefault((m.group(1), _PLATFORMS.sub("", m.group(2))), []).append(
                            ("SHA-256", digest.lower()))
        if not found and "GEM" not in file.text and "DEPENDENCIES" not in file.text:
            raise LockfileError("no GEM or DEPENDENCIES section: not a Gemfile.lock")
        out: list[Component] = []
        for name, version, section_name, source in found:
            qualifiers = {"vcs_url": f"git+{source}"} if section_name == "GIT" and source else None
            out.append(component(GEMS, name, version, file.path,
                                 direct=name in direct if direct else None,
                                 hashes=checksums.get((name, version), []), qualifiers=qualifiers))
        out = link_by_name(out, edges)
        return self.result(file, out)
