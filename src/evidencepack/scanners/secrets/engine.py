"""Finding credentials in text: every rule in one pass, and nothing found ever written out.

A multi-literal scan (Hyperscan, at several GB/s) finds which rule keywords occur in a text;
only the rules whose keywords occur run their regular expression, over that text. Most
files hold no keyword at all and cost one literal scan. A match is kept as a redacted
preview (first four characters and the length) and a fingerprint; the secret itself stays
in the scanning process.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
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


def preview(secret: str) -> str:
    """What a person may see of a secret: its first four characters and its length."""
    return f"{secret[:4]}…({len(secret)} chars)"


def fingerprint(rule_id: str, secret: str, path: str) -> str:
    """Stable identity of one secret in one file, for baselines and deduplication."""
    digest = hashlib.sha256(f"{rule_id}\0{secret}\0{path}".encode()).hexdigest()
    return digest[:40]


@dataclass(frozen=True)
class Match:
    """One credential in a text. `secret` never leaves the scanning code unredacted."""

    rule: Rule
    secret: str
    start: int
    """Offset of the secret in the scanned text."""
    end: int


class KeywordIndex:
    """Which rules' keywords occur in a text, in one scan over it."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        keywords = sorted({k.lower() for rule in rules for k in rule.keywords})
        self._keywords = keywords
        self._rules_of: dict[str, list[int]] = {k: [] for k in keywords}
        for index, rule in enumerate(rules):
            for k in {k.lower() for k in rule.keywords}:
                self._rules_of[k].append(index)
        self._database: Any = None
        self._regex: re.Pattern[str] | None = None
        if HAVE_HYPERSCAN and keywords:
            database = hyperscan.Database()
            flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH
            database.compile(
                expressions=[re.escape(k).encode() for k in keywords],
                ids=list(range(len(keywords))),
                elements=len(keywords),
                flags=[flags] * len(keywords),
            )
            self._database = database
        elif keywords:
            self._regex = re.compile("|".join(re.escape(k) for k in keywords), re.IGNORECASE)

    def candidates(self, text: str) -> list[int]:
        """Indices of the rules with at least one keyword in `text`."""
        found: set[int] = set()
        if self._database is not None:
            hits: set[int] = set()

            def on_match(ident: int, start: int, end: int, flags: int, context: Any) -> None:
                hits.add(ident)

            self._database.scan(text.encode("utf-8", "surrogateescape"), match_event_handler=on_match)
            for ident in hits:
                found.update(self._rules_of[self._keywords[ident]])
        elif self._regex is not None:
            for keyword in {m.group(0).lower() for m in self._regex.finditer(text)}:
                found.update(self._rules_of[keyword])
        return sorted(found)


class SecretMatcher:
    """All rules, ready to scan texts."""

    def __init__(self, rules: Sequence[Rule] = RULES) -> None:
        self.rules = tuple(rules)
        self._index = KeywordIndex(self.rules)

    def scan(self, text: str) -> list[Match]:
        """Every credential in `text`, at most one match per (rule, offset)."""
        out: list[Match] = []
        for index in self._index.candidates(text):
            rule = self.rules[index]
            for m in rule.pattern.finditer(text):
                group = "secret" if "secret" in rule.pattern.groupindex else 0
                secret = m.group(group)
                if not secret:
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


