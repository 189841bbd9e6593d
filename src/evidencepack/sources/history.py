"""The commits a deploy brings in, read from the local Git history."""

from __future__ import annotations

import re

from ..errors import InputError, RepositoryError
from .platform import LocalCommit
from .repository import Checkout

MAX_COMMITS = 2000
"""A range longer than this is cut to its newest commits (the pack says so)."""

_CO_AUTHOR = re.compile(r"^co-authored-by:\s*.+?<([^>]+)>\s*$", re.IGNORECASE | re.MULTILINE)
_RECORD = "\x1e"
_FIELD = "\x1f"


def resolve_commit(checkout: Checkout, ref: str) -> str:
    """The full commit id of `ref`; a one-line error when it names no commit."""
    if ref.startswith("-"):
        raise InputError(f"--since {ref!r}: not a commit or ref")
    try:
        return checkout.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except RepositoryError:
        raise InputError(f"--since {ref!r}: no such commit or ref in {checkout.root}") from None


def is_ancestor(checkout: Checkout, older: str, newer: str) -> bool:
    """True when `older` is in the history of `newer` (a previous pack's commit usually is)."""
    try:
        # `git merge-base --is-ancestor` answers with its exit code alone.
        checkout.git("merge-base", "--is-ancestor", older, newer)
    except RepositoryError:
        return False
    return True


def commits_between(checkout: Checkout, base: str | None, head: str) -> tuple[tuple[LocalCommit, ...], bool]:
    """Commits of base..head, oldest first (HEAD alone when `base` is None); and whether cut."""
    out = checkout.git(
        "log", "--reverse", "--topo-order", f"--max-count={MAX_COMMITS + 1}" if base else "-1",
        f"--format={_RECORD}%H{_FIELD}%P{_FIELD}%ae{_FIELD}%ce{_FIELD}%B{_FIELD}",
        "--name-only", "--no-renames", f"{base}..{head}" if base else head,
    )
    commits: list[LocalCommit] = []
    for record in out.split(_RECORD)[1:]:
        sha, parents, author, committer, message, names = (record.split(_FIELD) + [""] * 6)[:6]
        commits.append(LocalCommit(
            sha=sha,
            author_email=author.lower(),
            committer_email=committer.lower(),
            co_authors=tuple(sorted({m.lower() for m in _CO_AUTHOR.findall(message)})),
            parents=tuple(parents.split()),
            files=tuple(sorted({n for n in names.splitlines() if n.strip()})),
        ))
    cut = len(commits) > MAX_COMMITS
    return tuple(commits[-MAX_COMMITS:]), cut
