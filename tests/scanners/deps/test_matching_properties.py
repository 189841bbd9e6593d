"""The range evaluation against an independent oracle: intervals over integers.

Versions are `1.<n>.0` for integers n, so their order is the integers' order in every
scheme; a range of alternating `introduced`/`fixed` (or `last_affected`) events is a set
of intervals the oracle evaluates with plain integer comparisons.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from evidencepack.scanners.deps.osv_ranges import Verdict, evaluate


def _v(n: int) -> str:
    return f"1.{n}.0"


@st.composite
def ranges(draw: st.DrawFn) -> tuple[list[tuple[str, int | None]], str]:
    points = sorted(draw(st.sets(st.integers(0, 60), min_size=1, max_size=8)))
    zero = draw(st.booleans())
    events: list[tuple[str, int | None]] = []
    opening = True
    for i, p in enumerate(points):
        if opening:
            events.append(("introduced", None if zero and i == 0 else p))
        else:
            events.append((draw(st.sampled_from(["fixed", "last_affected"])), p))
        opening = not opening
    return events, draw(st.sampled_from(["ECOSYSTEM", "SEMVER"]))


def _oracle(events: list[tuple[str, int | None]], n: int) -> bool:
    """Affected when `n` is in one of the intervals [introduced, fixed) or [introduced, last]."""
    for i in range(0, len(events), 2):
        start = events[i][1]
        low = -1 if start is None else start
        if i + 1 < len(events):
            kind, p = events[i + 1]
            assert p is not None
            high = p if kind == "fixed" else p + 1
        else:
            high = 10**9
        if low <= n < high:
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(ranges(), st.integers(0, 70), st.sampled_from(["PyPI", "npm", "crates.io", "RubyGems",
                                                       "Maven", "NuGet", "Packagist", "Go"]))
def test_evaluation_matches_the_interval_oracle(case: tuple[list[tuple[str, int | None]], str],
                                                n: int, eco: str) -> None:
    events, kind = case
    shuffled = [{k: ("0" if p is None else _v(p))} for k, p in events]
    random.Random(n).shuffle(shuffled)  # OSV does not require events in order
    entry = {"package": {"ecosystem": eco, "name": "x"},
             "ranges": [{"type": kind, "events": shuffled}]}
    version = ("v" if eco == "Go" else "") + _v(n)
    verdict = evaluate(entry, eco, version).verdict
    assert verdict is (Verdict.AFFECTED if _oracle(events, n) else Verdict.NOT_AFFECTED)
