"""One interface for every lockfile format: an `Extractor` decides by name, then reads text.

An extractor raises `LockfileError` (or lets a parser's own error through) for a file it
cannot read; `extract_file` turns that into a `LockfileResult` with `error`, so that no
malformed lockfile is ever skipped silently.
"""

from __future__ import annotations

import json
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from ...errors import EvidencepackError
from .model import Component, LockfileResult

MAX_LOCKFILE_BYTES = 64 * 1024 * 1024
"""Larger files are recorded as unreadable, not parsed (the largest real lockfiles are ~30 MB)."""
MAX_COMPONENTS = 50_000
"""More packages than this in one lockfile is not a project's lockfile but a way to stall the
SBOM writer (large monorepos lock about 10,000)."""


class LockfileError(Exception):
    """A lockfile that cannot be read; the message is one line, without the path."""


@dataclass(frozen=True)
class LockfileInput:
    """One file of the tree to extract from, and safe access to the files beside it."""

    root: Path
    """The tree's root; reads never leave it."""
    path: str
    """Repository-relative POSIX path of this file."""
    text: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def sibling(self, name: str) -> str:
        """Repository-relative path of `name` beside this file."""
        parent = PurePosixPath(self.path).parent
        return (parent / name).as_posix() if str(parent) != "." else name

    def read(self, relative: str) -> str | None:
        """Text of another file of the tree; None when absent. Raises for an unsafe one."""
        return read_tree_file(self.root, relative)

    def sibling_json(self, name: str) -> dict[str, Any] | None:
        """The JSON object in `name` beside this file (a package.json, a composer.json);
        None when it is absent, not JSON or not an object."""
        text = self.read(self.sibling(name))
        if text is None:
            return None
        try:
            data = load_json(text)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None


def read_tree_file(root: Path, relative: str) -> str | None:
    """A regular file of the tree as UTF-8 text; None when it does not exist.

    A symbolic link that resolves outside `root`, a file over `MAX_LOCKFILE_BYTES` and a
    binary file raise `LockfileError`.
    """
    path = root / relative
    try:
        resolved = path.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, RuntimeError) as exc:
        raise LockfileError(f"cannot resolve: {exc}") from None
    try:
        resolved.relative_to(root.resolve())
    except ValueError:
        raise LockfileError("symbolic link leads outside the tree; not read") from None
    if not resolved.is_file():
        raise LockfileError("not a regular file")
    try:
        size = resolved.stat().st_size
        if size > MAX_LOCKFILE_BYTES:
            raise LockfileError(f"{size:,} bytes is over the {MAX_LOCKFILE_BYTES:,}-byte limit")
        data = resolved.read_bytes()
    except OSError as exc:
        raise LockfileError(f"cannot read: {exc.strerror or exc}") from None
    if b"\0" in data[:8192]:
        raise LockfileError("binary file, not a lockfile")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LockfileError(f"not UTF-8 text (byte {exc.start})") from None


class Extractor(ABC):
    """Reads one lockfile format into components."""

    format: ClassVar[str]
    """The format's name as `LockfileResult.format` reports it, e.g. `poetry.lock`."""

    @abstractmethod
    def matches(self, path: PurePosixPath) -> bool:
        """Whether a file of the tree, by its repository-relative path, is of this format."""

    @abstractmethod
    def extract(self, file: LockfileInput) -> LockfileResult:
        """Read the components; raise `LockfileError` or a parser error when it cannot."""

    def result(self, file: LockfileInput, components: Iterable[Component], *,
               format: str | None = None, unresolved: Iterable[str] = ()) -> LockfileResult:
        """The components may repeat a package (several lockfile entries of one version):
        the inventory merges them."""
        return LockfileResult(
            path=file.path,
            format=format or self.format,
            components=tuple(components),
            unresolved=tuple(unresolved),
        )


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def extract_file(extractor: Extractor, file: LockfileInput) -> LockfileResult:
    """Run `extractor`; whatever goes wrong becomes the result's `error`, never an exception."""
    try:
        result = extractor.extract(file)
        if len(result.components) > MAX_COMPONENTS:
            raise LockfileError(f"{len(result.components):,} packages, more than the "
                                f"{MAX_COMPONENTS:,} one lockfile may list")
        return result
    except (LockfileError, EvidencepackError) as exc:
        message = one_line(exc)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except tomllib.TOMLDecodeError as exc:
        message = f"invalid TOML: {one_line(exc)}"
    except RecursionError:
        message = "nested too deeply"
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        # The parsers accept any shape; a file that is not the shape of its format lands here.
        message = f"unexpected structure ({type(exc).__name__}: {one_line(exc)})"
    return LockfileResult(path=file.path, format=extractor.format, error=message)


def load_json(text: str) -> Any:
    return json.loads(text)


def load_toml(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    """`value` when it is of `kind`, else a `LockfileError` naming `what`."""
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        article = {"dict": "an object", "list": "a list", "str": "a string"}
        raise LockfileError(f"{what} is not {article.get(names, names)}")
    return value
