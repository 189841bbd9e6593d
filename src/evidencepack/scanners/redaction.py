"""Redacting credentials from text before it is copied into a pack.

A pack must never leak what it reports: configuration files are copied into the pack as
evidence, and a key committed into a workflow would otherwise be copied with them. Every
credential the secret scanner's rules find is masked, and so is whatever the broader
patterns below match: the rules are tuned against false positives (entropy, checksums),
while a copy should rather mask too much than too little. Each value is replaced by the
scanner's preview, which identifies it to the owner without revealing it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .secrets.engine import SecretMatcher, preview


@dataclass(frozen=True)
class Redaction:
    text: str
    count: int


# (needles, pattern): a pattern only runs on text that holds one of its needles (compared
# in lower case), which keeps redaction cheap on the many files that hold no credential.
_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (needles, re.compile(pattern))
    for needles, pattern in (
        (("private key",), r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
                           r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"),
        (("a3t", "akia", "asia", "abia", "acca"),
         r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b"),
        (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
        (("github_pat_",), r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"),
        (("glpat-",), r"\bglpat-[A-Za-z0-9_-]{20,}"),
        (("glrt-",), r"\bglrt-[A-Za-z0-9_-]{20,}"),
        (("xox",), r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        (("hooks.slack.com",), r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}"),
        (("_live_",), r"\b(?:sk|rk)_live_[A-Za-z0-9]{20,}"),
        (("aiza",), r"\bAIza[0-9A-Za-z_-]{35}\b"),
        (("npm_",), r"\bnpm_[A-Za-z0-9]{36}\b"),
        (("pypi-age",), r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
        (("sk-",), r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,}"),
        # A value assigned to a name that says it is secret, e.g. aws_secret_access_key: ...
        (("secret_access_key",),
         r"(?i)secret_access_key[\"']?\s*[:=]\s*[\"']?(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"),
        # The password of a URL such as postgres://user:password@host.
        (("://",), r"(?i)[a-z][a-z0-9+.-]*://[^\s:/@]+:(?P<v>[^\s@/]{3,})@"),
    )
)


def _mask(match: re.Match[str]) -> str:
    # Patterns with a `v` group keep their context (the name, the URL) and hide the value.
    group = "v" if "v" in match.re.groupindex else 0
    value = match.group(group)
    masked = _masked(value)
    if group == 0:
        return masked
    start, end = match.span(group)
    whole = match.group(0)
    offset = match.start(0)
    return whole[: start - offset] + masked + whole[end - offset:]


def _masked(value: str) -> str:
    return f"[redacted {preview(value)}]"


@lru_cache(maxsize=1)
def _matcher() -> SecretMatcher:
    return SecretMatcher()


def redact(text: str) -> Redaction:
    """Replace every recognised credential in `text`; count the replacements."""
    matches = _matcher().scan(text)
    for match in sorted(matches, key=lambda m: m.start, reverse=True):
        text = text[:match.start] + _masked(match.secret) + text[match.end:]
    total = len(matches)
    lowered = text.lower()
    for needles, pattern in _PATTERNS:
        if not any(needle in lowered for needle in needles):
            continue
        text, count = pattern.subn(_mask, text)
        total += count
    return Redaction(text, total)


def redact_json(text: str) -> str:
    """`redact` over each string of a JSON document: inside JSON text a quoted value reads
    `\\"...\\"`, which the rules' assignment shapes do not expect. Text that is not JSON is
    redacted as text."""
    try:
        document = json.loads(text)
    except ValueError:
        return redact(text).text
    return json.dumps(_redact_strings(document), indent=2, ensure_ascii=False) + "\n"


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value).text
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    if isinstance(value, dict):
        return {redact(str(key)).text: _redact_strings(item) for key, item in value.items()}
    return value
