"""Loading pipeline YAML safely, with the position of every key and value.

The tree is built from ruamel.yaml's event stream (YAML 1.2 core schema: `on` stays a
string), not from its constructor, for three reasons: an alias becomes a reference to the
object its anchor built, so an alias bomb is never expanded in memory; nesting depth and
the expanded size are counted while building, so hostile documents are rejected in linear
time before anything walks them; and the C event parser is about ten times faster than
the round-trip loader. GitLab's repeated `<<` merge keys are accepted, as GitLab does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

from .errors import YamlError

MAX_DEPTH = 200
"""Deeper nesting than this is not a pipeline configuration."""
MAX_EXPANDED_NODES = 1_000_000
"""Nodes a document would have with every alias expanded; above this it is a bomb."""


Mark = tuple[int, int]
"""1-based line and column."""


class YMap(dict[Any, Any]):
    """A YAML mapping that remembers where it and each of its keys and values are."""

    __slots__ = ("key_marks", "mark", "value_marks")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[Any, Mark] = {}
        self.value_marks: dict[Any, Mark] = {}

    def key_mark(self, key: Any) -> Mark:
        """Position of `key`, or of the mapping when the key is absent or merged in."""
        return self.key_marks.get(key, self.mark)

    def value_mark(self, key: Any) -> Mark:
        """Position of the value of `key`, falling back to the key, then the mapping."""
        return self.value_marks.get(key, self.key_mark(key))


class YSeq(list[Any]):
    """A YAML sequence that remembers where it and each item are."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[Mark] = []

    def item_mark(self, index: int) -> Mark:
        return self.item_marks[index] if 0 <= index < len(self.item_marks) else self.mark


@dataclass(frozen=True)
class YamlDocument:
    """The first document of a YAML file."""

    root: Any
    anchors: int
    """How many anchors the document defines (aliases are shared, never copied)."""


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

_STR_TAG = "tag:yaml.org,2002:str"


def resolve_scalar(value: str, tag: str | None, plain: bool) -> Any:
    """Resolve a scalar by the YAML 1.2 core schema (so `on`, `yes`, `no` stay strings)."""
    if tag in (_STR_TAG, "!"):
        return value
    if not plain and tag is None:
        return value
    if _NULL.match(value):
        return None
    if _TRUE.match(value):
        return True
    if _FALSE.match(value):
        return False
    if _INT10.match(value):
        return int(value)
    if _INT8.match(value):
        return int(value[2:], 8)
    if _INT16.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN.match(value):
        return float("nan")
    return value


def _mark(event: Any) -> Mark:
    m = event.start_mark
    return (m.line + 1, m.column + 1)


class _Frame:
    __slots__ = ("anchor", "container", "expanded", "key", "key_mark", "merges")

    def __init__(self, container: YMap | YSeq, anchor: str | None) -> None:
        self.container = container
        self.anchor = anchor
        self.key: Any = _NO_KEY
        self.key_mark: Mark = container.mark
        self.expanded = 1
        self.merges: list[Any] = []


_NO_KEY = object()


def parse_yaml(text: str, *, source: str = "<string>", document: int = 0,
               pure: bool = False) -> YamlDocument:
    """Parse one document of `text` (the first by default); raise `YamlError` with file:line.

    `pure` uses ruamel's Python parser, which accepts what the C parser refuses in flow
    mappings (`{tarball: https://...}`, as pnpm writes), at a tenth of its speed.
    """
    yaml = YAML(typ="safe", pure=pure)
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[_Frame] = []
    root: Any = None
    have_root = False
    current = -1
    try:
        for event in yaml.parse(text):
            if isinstance(event, DocumentStartEvent):
                current += 1
                continue
            if current < document and not isinstance(event, StreamEndEvent):
                continue
            if isinstance(event, StreamStartEvent):
                continue
            if isinstance(event, DocumentEndEvent | StreamEndEvent):
                if have_root:
                    break
                continue
            if isinstance(event, MappingStartEvent | SequenceStartEvent):
                if len(stack) >= MAX_DEPTH:
                    line, col = _mark(event)
                    raise YamlError(
                        f"{source}:{line}:{col}: nesting deeper than {MAX_DEPTH} levels"
                    )
                container: YMap | YSeq = (
                    YMap(_mark(event)) if isinstance(event, MappingStartEvent) else YSeq(_mark(event))
                )
                stack.append(_Frame(container, event.anchor))
                continue
            if isinstance(event, MappingEndEvent | SequenceEndEvent):
                frame = stack.pop()
                if isinstance(frame.container, YMap) and frame.merges:
                    _apply_merges(frame, source)
                value, size, mark = frame.container, frame.expanded, frame.container.mark
                if frame.anchor is not None:
                    anchors[frame.anchor] = (value, size)
            elif isinstance(event, ScalarEvent):
                plain = bool(event.implicit and event.implicit[0]) and not event.style
                value = resolve_scalar(event.value, event.tag, plain)
                size, mark = 1, _mark(event)
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
            elif isinstance(event, AliasEvent):
                if event.anchor not in anchors:
                    line, col = _mark(event)
                    raise YamlError(
                        f"{source}:{line}:{col}: alias *{event.anchor} refers to no anchor "
                        "defined before it"
                    )
                value, size = anchors[event.anchor]
                mark = _mark(event)
            else:  # pragma: no cover - the parser emits no other event kinds
                continue

            if not stack:
                root, have_root = value, True
                continue
            parent = stack[-1]
            parent.expanded += size
            if parent.expanded > MAX_EXPANDED_NODES:
                line, col = mark
                raise YamlError(
                    f"{source}:{line}:{col}: aliases expand to more than "
                    f"{MAX_EXPANDED_NODES:,} nodes (alias bomb?)"
                )
            container = parent.container
            if isinstance(container, YSeq):
                container.append(value)
                container.item_marks.append(mark)
            elif parent.key is _NO_KEY:
                parent.key = value
                parent.key_mark = mark
            else:
                key = parent.key
                parent.key = _NO_KEY
                if key == "<<" and not isinstance(key, YMap | YSeq):
                    parent.merges.append((value, parent.key_mark))
                    continue
                try:
                    container[key] = value
                except TypeError:
                    raise YamlError(
                        f"{source}:{parent.key_mark[0]}:{parent.key_mark[1]}: "
                        "unhashable mapping key"
                    ) from None
                container.key_marks[key] = parent.key_mark
                container.value_marks[key] = mark
    except YamlError:
        raise
    except MarkedYAMLError as exc:
        mark_ = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark_.line + 1}:{mark_.column + 1}" if mark_ else source
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(f"{where}: {problem}") from None
    except YAMLError as exc:
        raise YamlError(f"{source}: {str(exc).splitlines()[0] if str(exc) else 'invalid YAML'}") from None
    return YamlDocument(root=root, anchors=len(anchors))


def _apply_merges(frame: _Frame, source: str) -> None:
    """Apply `<<` merge keys: explicit keys win, earlier merged maps win over later ones."""
    container = frame.container
    assert isinstance(container, YMap)
    for value, (line, col) in frame.merges:
        maps = value if isinstance(value, YSeq) else [value]
        for merged in maps:
            if not isinstance(merged, YMap):
                raise YamlError(f"{source}:{line}:{col}: merge key `<<` needs a mapping")
            for k, v in merged.items():
                if k not in container:
                    container[k] = v
                    frame.expanded += 1
            if frame.expanded > MAX_EXPANDED_NODES:
                raise YamlError(
                    f"{source}:{line}:{col}: merges expand to more than "
                    f"{MAX_EXPANDED_NODES:,} nodes (alias bomb?)"
                )


def mark_of(node: Any, default: Mark = (1, 1)) -> Mark:
    """Position of a mapping or sequence node, or `default` for a scalar."""
    if isinstance(node, YMap | YSeq):
        return node.mark
    return default
