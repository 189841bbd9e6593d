"""Whether one version is affected by one OSV `affected` entry, by the OSV schema's rules.

The evaluation follows the schema's algorithm: a version listed in `versions` is affected;
otherwise each `SEMVER` or `ECOSYSTEM` range's events are sorted by version (`introduced:
"0"` first) and walked, `introduced` opening, `fixed` closing at and `last_affected` closing
after its version; a `limit` caps the range. `GIT` ranges order commits, which only the
repository's history can do: a component whose version is a commit is affected when it is
one of the range's affected commits, and is otherwise reported as undetermined.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .versions import SEMVER, VersionError, base_ecosystem, version_key

_COMMIT = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
_EVENT_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


class Verdict(StrEnum):
    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    UNDETERMINED = "undetermined"
    """The entry's versions could not be ordered against this one (reason given)."""


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str = ""


def evaluate(affected: Mapping[str, Any], ecosystem: str, version: str) -> Decision:
    """Decide one `affected[]` entry for `version` of a package of `ecosystem`."""
    versions = affected.get("versions")
    if isinstance(versions, list) and version in versions:
        return Decision(Verdict.AFFECTED, "listed in `versions`")
    ranges = affected.get("ranges")
    undetermined = ""
    for entry in ranges if isinstance(ranges, list) else ():
        if not isinstance(entry, dict):
            continue
        kind = entry.get("type")
        events = entry.get("events")
        if not isinstance(events, list):
            continue
        if kind == "GIT":
            decision = _git(events, version)
        elif kind in (SEMVER, "ECOSYSTEM"):
            scheme = SEMVER if kind == SEMVER else base_ecosystem(ecosystem)
            decision = _ordered(events, scheme, version)
        else:
            decision = Decision(Verdict.UNDETERMINED, f"unknown range type {kind!r}")
        if decision.verdict is Verdict.AFFECTED:
            return decision
        if decision.verdict is Verdict.UNDETERMINED and not undetermined:
            undetermined = decision.reason
    if undetermined:
        return Decision(Verdict.UNDETERMINED, undetermined)
    return Decision(Verdict.NOT_AFFECTED)


def _event(event: Any) -> tuple[str, str] | None:
    if not isinstance(event, dict) or len(event) != 1:
        return None
    ((kind, value),) = event.items()
    if kind not in _EVENT_ORDER or not isinstance(value, str):
        return None
    return kind, value


_Compiled = tuple[tuple[tuple[int, Any, int, str], ...], tuple[Any, ...]] | Decision
_COMPILED: dict[tuple[str, int], tuple[Sequence[Any], _Compiled]] = {}
"""Parsed and sorted events by (scheme, id of the events list); the list is kept with its
entry, so an id is never reused while cached."""
_COMPILED_MAX = 200_000


def _compile(events: Sequence[Any], scheme: str) -> _Compiled:
    cached = _COMPILED.get((scheme, id(events)))
    if cached is not None and cached[0] is events:
        return cached[1]
    compiled = _compile_events(events, scheme)
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    _COMPILED[(scheme, id(events))] = (events, compiled)
    return compiled


def _compile_events(events: Sequence[Any], scheme: str) -> _Compiled:
    keyed: list[tuple[int, Any, int, str]] = []
    for raw in events:
        parsed = _event(raw)
        if parsed is None:
            return Decision(Verdict.UNDETERMINED, f"malformed range event {raw!r}")
        kind, value = parsed
        if kind == "introduced" and value == "0":
            keyed.append((0, None, _EVENT_ORDER[kind], kind))
            continue
        if kind == "limit" and value == "*":
            continue
        try:
            keyed.append((1, version_key(scheme, value), _EVENT_ORDER[kind], kind))
        except VersionError as exc:
            return Decision(Verdict.UNDETERMINED, f"range event {kind} {exc}")
    limits = tuple(key for _, key, _, kind in keyed if kind == "limit")
    # `introduced: "0"` (group 0, key None) sorts first; equal versions in event order.
    return tuple(sorted(keyed, key=lambda k: (k[0], k[1], k[2]))), limits


def _ordered(events: Sequence[Any], scheme: str, version: str) -> Decision:
    try:
        current = version_key(scheme, version)
    except VersionError as exc:
        return Decision(Verdict.UNDETERMINED, str(exc))
    compiled = _compile(events, scheme)
    if isinstance(compiled, Decision):
        return compiled
    ordered, limits = compiled
    if limits and not any(current < limit for limit in limits):
        return Decision(Verdict.NOT_AFFECTED)
    affected = False
    for _, key, _, kind in ordered:
        if kind == "introduced" and (key is None or current >= key):
            affected = True
        elif key is not None and ((kind == "fixed" and current >= key)
                                  or (kind == "last_affected" and current > key)):
            affected = False
    return _IN_RANGE if affected else _NOT_AFFECTED


_IN_RANGE = Decision(Verdict.AFFECTED, "in range")
_NOT_AFFECTED = Decision(Verdict.NOT_AFFECTED)


def _git(events: Sequence[Any], version: str) -> Decision:
    if not _COMMIT.match(version):
        # Version strings are matched by the `versions` list OSV enumerates from GIT ranges.
        return Decision(Verdict.NOT_AFFECTED)
    parsed = [_event(e) for e in events]
    if any(p is None for p in parsed):
        return Decision(Verdict.UNDETERMINED, "malformed GIT range event")
    marks = {value: kind for kind, value in (p for p in parsed if p is not None)}
    kind = marks.get(version)
    if kind in ("introduced", "last_affected"):
        return Decision(Verdict.AFFECTED, f"commit is the range's `{kind}` commit")
    if kind in ("fixed", "limit"):
        return Decision(Verdict.NOT_AFFECTED)
    return Decision(
        Verdict.UNDETERMINED,
        "the commit's place in a GIT range needs the repository's history",
    )
