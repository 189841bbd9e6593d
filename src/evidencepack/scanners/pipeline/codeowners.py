"""CODEOWNERS: which owners a path has, by GitHub's and GitLab's rules (last match wins)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .model import CodeOwnersCoverage

# Where each platform looks, in its order of precedence.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")


@dataclass(frozen=True)
class OwnerRule:
    pattern: str
    owners: tuple[str, ...]
    regex: re.Pattern[str]
    line: int


def parse_codeowners(text: str) -> list[OwnerRule]:
    """Rules in file order. GitLab section headers (`[Name]`, `^[Name]`) are skipped."""
    rules: list[OwnerRule] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if re.match(r"^\^?\[[^\]]+\]", line):
            continue
        # An escaped space belongs to the pattern; everything after an unescaped one is owners.
        parts = re.split(r"(?<!\\)\s+", line)
        pattern, owners = parts[0].replace("\\ ", " "), []
        for token in parts[1:]:
            if token.startswith("#"):
                break
            owners.append(token)
        rules.append(OwnerRule(pattern, tuple(owners), _compile(pattern), number))
    return rules


def _compile(pattern: str) -> re.Pattern[str]:
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    body = pattern.strip("/") if pattern != "/" else ""
    directory = pattern.endswith("/")
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append(r"(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(r".*")
            i += 2
        elif body[i] == "*":
            out.append(r"[^/]*")
            i += 1
        elif body[i] == "?":
            out.append(r"[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    core = "".join(out)
    prefix = "^" if anchored else r"^(?:.*/)?"
    # A pattern naming a directory owns everything below it.
    suffix = r"/.*$" if directory else r"(?:/.*)?$"
    return re.compile(prefix + core + suffix)


def owners_of(rules: Sequence[OwnerRule], path: str) -> tuple[str, ...]:
    """Owners of `path`: the last matching rule decides, and may assign nobody."""
    owners: tuple[str, ...] = ()
    for rule in rules:
        if rule.regex.match(path):
            owners = rule.owners
    return owners


def coverage(codeowners_path: str | None, text: str | None, paths: Sequence[str]) -> CodeOwnersCoverage:
    """Which of `paths` (the CI configuration) have code owners."""
    if codeowners_path is None or text is None:
        return CodeOwnersCoverage(path=codeowners_path, covered=(), uncovered=tuple(sorted(paths)))
    rules = parse_codeowners(text)
    covered: list[tuple[str, tuple[str, ...]]] = []
    uncovered: list[str] = []
    for path in sorted(paths):
        owners = owners_of(rules, path)
        if owners:
            covered.append((path, owners))
        else:
            uncovered.append(path)
    return CodeOwnersCoverage(path=codeowners_path, covered=tuple(covered), uncovered=tuple(uncovered))
