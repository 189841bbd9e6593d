"""Finding credentials in text: every rule in one pass, and nothing found ever written out.

A multi-literal scan (Hyperscan, at several GB/s) finds where rule keywords occur in a text;
a rule's regular expression then runs only over the lines that hold one of its keywords.
Most files hold no keyword at all and cost one literal scan. A match is kept as a redacted
preview (first four characters and the length) and a fingerprint; the secret itself stays
in the scanning process.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .rules import RULES, Rule, shannon_entropy

try:  # Hyperscan ships as a wheel for x86_64 Linux; elsewhere a regex finds the keywords.
    import hyperscan

    HAVE_HYPERSCAN = True
except ImportError:  # pragma: no cover - depends on the platform's wheels
    HAVE_HYPERSCAN = False

ENGINE = "hyperscan keyword prefilter + Python regular expressions" if HAVE_HYPERSCAN \
    else "regex keyword prefilter + Python regular expressions"


PREVIEW_FROM = 16
"""Secrets shorter than this are shown by their length alone: four characters of a short
password are most of it."""


def preview(secret: str) -> str:
    """What a person may see of a secret: its first four characters and its length.

    Characters that are not text (undecodable bytes) are shown as `?`.
    """
    if len(secret) < PREVIEW_FROM:
        return f"…({len(secret)} chars)"
    shown = secret[:4].encode("utf-8", "replace").decode("utf-8")
    return f"{shown}…({len(secret)} chars)"


def fingerprint(rule_id: str, secret: str, path: str) -> str:
    """Stable identity of one secret in one file, for baselines and deduplication."""
    digest = hashlib.sha256(f"{rule_id}\0{secret}\0{path}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:40]


@dataclass(frozen=True)
class Match:
    """One credential in a text. `secret` never leaves the scanning code unredacted."""

    rule: Rule
    secret: str
    start: int
    """Offset of the secret in the scanned text."""
    end: int


_SPAN = 32 * 1024
"""How far from its keyword a match of a multi-line rule may reach (a PEM block, a JSON key file)."""


class KeywordIndex:
    """Where each rule's keywords (or anchor) occur in a text, in one scan over it."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        keywords = sorted({k.lower() for rule in rules if rule.anchor is None for k in rule.keywords})
        anchors = sorted({rule.anchor for rule in rules if rule.anchor is not None})
        self._rules_of: list[list[int]] = [[] for _ in range(len(keywords) + len(anchors))]
        position = {k: i for i, k in enumerate(keywords)}
        for index, rule in enumerate(rules):
            if rule.anchor is not None:
                self._rules_of[len(keywords) + anchors.index(rule.anchor)].append(index)
            else:
                for k in {k.lower() for k in rule.keywords}:
                    self._rules_of[position[k]].append(index)
        self._database: Any = None
        self._patterns: list[re.Pattern[str]] = []
        if HAVE_HYPERSCAN and (keywords or anchors):
            database = hyperscan.Database()
            expressions = [re.escape(k).encode() for k in keywords] + [a.encode() for a in anchors]
            flags = [hyperscan.HS_FLAG_CASELESS] * len(keywords) + [0] * len(anchors)
            database.compile(expressions=expressions, ids=list(range(len(expressions))),
                             elements=len(expressions), flags=flags)
            self._database = database
        else:
            self._patterns = [re.compile(re.escape(k), re.IGNORECASE) for k in keywords]
            self._patterns += [re.compile(a) for a in anchors]

    def hits(self, text: str) -> dict[int, list[int]]:
        """For each rule with a keyword in `text`, the (character) offsets where one ends, sorted."""
        if self._database is None:
            ends: list[tuple[int, int]] = []
            for ident, pattern in enumerate(self._patterns):
                ends.extend((m.end(), ident) for m in pattern.finditer(text))
            return self._by_rule(ends)
        data = text.encode("utf-8", "surrogatepass")
        found = self._scan(data)
        if found and not text.isascii():
            found = _character_offsets(data, found, "surrogatepass")
        return self._by_rule(found)

    def hits_in_bytes(self, data: bytes) -> tuple[str, dict[int, list[int]]]:
        """`hits` of a file's bytes, and its text: decoded only when a keyword occurs ('' if not).

        Bytes that are not UTF-8 decode one to one as lone surrogates (`surrogateescape`),
        so that offsets stay exact; what is shown of a secret never carries them (`preview`).
        """
        if self._database is None:
            text = data.decode("utf-8", "surrogateescape")
            hits = self.hits(text)
            return (text if hits else ""), hits
        found = self._scan(data)
        if not found:
            return "", {}
        if not data.isascii():
            found = _character_offsets(data, found, "surrogateescape")
        return data.decode("utf-8", "surrogateescape"), self._by_rule(found)

    def _scan(self, data: bytes) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        append = found.append
        self._database.scan(data, match_event_handler=lambda ident, start, end, flags, ctx:
                            append((end, ident)))
        return found

    def _by_rule(self, ends: list[tuple[int, int]]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for end, ident in sorted(ends):
            for index in self._rules_of[ident]:
                out.setdefault(index, []).append(end)
        return out



def _character_offsets(data: bytes, found: list[tuple[int, int]], errors: str) -> list[tuple[int, int]]:
    """Byte offsets of keyword ends (always character boundaries: keywords and anchors are
    ASCII) as character offsets into the text `data` decodes to with `errors`."""
    out = []
    byte = char = 0
    for end, ident in sorted(found):
        char += len(data[byte:end].decode("utf-8", errors))
        byte = end
        out.append((char, ident))
    return out


def _windows(text: str, ends: Sequence[int], multiline: bool) -> Iterator[tuple[int, int]]:
    """The stretches of `text` a match containing a keyword ending at one of `ends` can lie in:
    the keyword's line, or for a multi-line rule the lines within `_SPAN` of it; merged."""
    size = len(text)
    lo = hi = -1
    for end in ends:
        if multiline:
            start = text.rfind("\n", 0, max(end - _SPAN, 0)) + 1
            stop = text.find("\n", min(end + _SPAN, size))
        else:
            if end <= hi:
                continue
            start = text.rfind("\n", 0, end - 1) + 1
            stop = text.find("\n", end - 1)
        stop = size if stop < 0 else stop + 1
        if start <= hi:
            hi = max(hi, stop)
            continue
        if hi >= 0:
            yield lo, hi
        lo, hi = start, stop
    if hi >= 0:
        yield lo, hi


class SecretMatcher:
    """All rules, ready to scan texts."""

    def __init__(self, rules: Sequence[Rule] = RULES) -> None:
        self.rules = tuple(rules)
        self._index = KeywordIndex(self.rules)

    def scan(self, text: str) -> list[Match]:
        """Every credential in `text`, at most one match per (rule, offset)."""
        return self._matches(text, self._index.hits(text))

    def scan_bytes(self, data: bytes) -> tuple[str, list[Match]]:
        """Every credential in a file's bytes, and the decoded text ('' when nothing was found)."""
        text, hits = self._index.hits_in_bytes(data)
        matches = self._matches(text, hits) if hits else []
        return (text if matches else ""), matches

    def _matches(self, text: str, hits: dict[int, list[int]]) -> list[Match]:
        """Each rule's expression, run only over the lines around its keywords: a match holds
        a keyword, and a rule that is not multi-line never crosses a line."""
        out: list[Match] = []
        for index, ends in hits.items():
            rule = self.rules[index]
            group = "secret" if "secret" in rule.pattern.groupindex else 0
            windows = _windows(text, ends, rule.multiline) if rule.keyword_in_match \
                else iter([(0, len(text))])
            for lo, hi in windows:
                for m in rule.pattern.finditer(text, lo, hi):
                    secret = m.group(group)
                    if not secret:  # the windows are disjoint: no match is seen twice
                        continue
                    if rule.min_entropy is not None and shannon_entropy(secret) < rule.min_entropy:
                        continue
                    if rule.check is not None and not rule.check(secret):
                        continue
                    out.append(Match(rule, secret, m.start(group), m.end(group)))
        return _without_overlaps(out)


def _without_overlaps(matches: Iterable[Match]) -> list[Match]:
    """Where a specific rule and a generic one found the same secret, keep the specific one."""
    ordered = sorted(matches, key=lambda m: (m.start, -(m.end - m.start), _generic(m.rule)))
    kept: list[Match] = []
    for match in ordered:
        if any(k.start <= match.start and match.end <= k.end for k in kept):
            continue
        kept.append(match)
    return kept


def _generic(rule: Rule) -> bool:
    return rule.min_entropy is not None


