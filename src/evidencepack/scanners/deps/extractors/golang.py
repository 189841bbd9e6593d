"""Go: go.mod (require blocks, `// indirect`, replace), completed by go.sum for old modules."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..components import component
from ..interface import Extractor, LockfileError, LockfileInput
from ..model import Component, LockfileResult

GO = "Go"
_VERSION = re.compile(r"^v\d+\.\d+\.\d+")
_OTHER_DIRECTIVES = ("module", "go", "toolchain", "exclude", "retract", "godebug", "tool", "ignore")
_GO_DIRECTIVE = re.compile(r"^go\s+(\d+)\.(\d+)")


def _strip_comment(line: str) -> tuple[str, str]:
    code, _, comment = line.partition("//")
    return code.strip(), comment.strip()


def _unquote(token: str) -> str:
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"`" else token


Module = tuple[str, str | None]
"""A module path and its version, None for any version (or a directory replacement)."""


def parse_go_mod(
    text: str,
) -> tuple[list[tuple[str, str, bool]], dict[Module, Module], tuple[int, int] | None]:
    """(requires as (module, version, indirect), replaces, the `go` directive's version)."""
    requires: list[tuple[str, str, bool]] = []
    replaces: dict[Module, Module] = {}
    go_version: tuple[int, int] | None = None
    block: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        code, comment = _strip_comment(raw)
        if not code:
            continue
        if block is not None:
            if code == ")":
                block = None
                continue
            directive, args = block, code
        else:
            directive, _, args = code.partition(" ")
            args = args.strip()
            if args == "(":
                block = directive
                continue
        if directive == "go" and (m := _GO_DIRECTIVE.match(code if block is None else f"go {code}")):
            go_version = (int(m.group(1)), int(m.group(2)))
        elif directive == "require":
            tokens = [_unquote(t) for t in args.split()]
            if len(tokens) != 2:
                raise LockfileError(f"line {number}: require needs a module and a version")
            requires.append((tokens[0], tokens[1], "indirect" in comment.split(";")[0].split()))
        elif directive == "replace":
            left, arrow, right = args.partition("=>")
            if not arrow:
                raise LockfileError(f"line {number}: replace without =>")
            old = [_unquote(t) for t in left.split()]
            new = [_unquote(t) for t in right.split()]
            if not old or not new or len(old) > 2 or len(new) > 2:
                raise LockfileError(f"line {number}: malformed replace")
            replaces[(old[0], old[1] if len(old) == 2 else None)] = (
                new[0], new[1] if len(new) == 2 else None)
        elif directive not in _OTHER_DIRECTIVES:
            raise LockfileError(f"line {number}: unknown directive {directive!r}")
    if block is not None:
        raise LockfileError(f"unclosed {block} ( block")
    return requires, replaces, go_version


class GoModExtractor(Extractor):
    format = "go.mod"

    def matches(self, path: PurePosixPath) -> bool:
        return path.name == "go.mod"

    def extract(self, file: LockfileInput) -> LockfileResult:
        requires, replaces, go_version = parse_go_mod(file.text)
        out: list[Component] = []
        required = set()
        for module, version, indirect in requires:
            if not _VERSION.match(version):
                raise LockfileError(f"{module}: {version!r} is not a module version")
            target = replaces.get((module, version)) or replaces.get((module, None))
            if target is not None:
                new_module, new_version = target
                if new_version is None:
                    continue  # replaced by a directory of this repository: not a dependency
                module, version = new_module, new_version
            required.add(module)
            out.append(component(GO, module, version, file.path, direct=not indirect))
        # Before Go 1.17, go.mod listed only part of the build list; go.sum holds the rest.
        if go_version is None or go_version < (1, 17):
            text = file.read(file.sibling("go.sum"))
            for module, version in _go_sum_modules(text or ""):
                if module not in required:
                    out.append(component(GO, module, version, file.path, direct=False))
        return self.result(file, out)


def _go_sum_modules(text: str) -> list[tuple[str, str]]:
    """Modules whose code go.sum records (not only their go.mod)."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) != 3 or not tokens[2].startswith("h1:"):
            raise LockfileError(f"go.sum line {number}: not `module version h1:hash`")
        if not tokens[1].endswith("/go.mod"):
            out.append((tokens[0], tokens[1]))
    return out
