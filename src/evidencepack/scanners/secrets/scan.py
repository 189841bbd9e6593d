"""Secret scans of a working tree, of a commit range, and of the whole history.

Files are streamed to worker processes (both cores) in batches; each worker holds its own
compiled rules and sends back only redacted findings, so no secret crosses a process
boundary or reaches the caller. Binary files, files over the size limit and lockfiles are
skipped, and every skip is counted in the result. Symbolic links are never followed.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import stat
import subprocess
import threading
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from multiprocessing import get_context
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ...errors import InputError
from ...model import Finding, Location, Severity
from ...policy import Policy
from ...sources.repository import Checkout, run_git
from ..redaction import redact
from .engine import ENGINE, Match, SecretMatcher, fingerprint, preview
from .rules import RULES, Rule, load_gitleaks_toml, rule_from_table

MAX_FILE_BYTES = 5 * 1024 * 1024
BASELINE = ".evidencepack/secrets-baseline.json"
LOCKFILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
    "poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "Cargo.lock", "go.sum",
    "Gemfile.lock", "composer.lock", "packages.lock.json", "gradle.lockfile", "mix.lock",
    "pubspec.lock", "Podfile.lock", "flake.lock",
})
_ALLOW = re.compile(r"evidencepack:allow-secret\b[:\s]*(?P<reason>[^\n]*?)\s*(?:\*/|-->|$)", re.MULTILINE)
_BATCH_BYTES = 4 * 1024 * 1024
_PARALLEL_FROM_BYTES = 8 * 1024 * 1024
_DOCS = "https://evidencepack.dev/controls/AC-4"


@dataclass(frozen=True)
class SecretFinding:
    """A credential found, redacted: the rule, where, and a preview; never the value."""

    rule: str
    description: str
    severity: Severity
    path: str
    line: int
    column: int
    fingerprint: str
    preview: str
    commit: str | None = None
    author: str | None = None
    allowed_by: str | None = None
    """The reason of the baseline entry or inline comment that accepts it."""
    note: str | None = None

    def to_finding(self) -> Finding:
        where = f" in commit {self.commit[:12]}" if self.commit else ""
        message = f"{self.description}: {self.preview}{where}"
        if self.note:
            message += f" ({self.note})"
        return Finding(rule=f"secret/{self.rule}", message=message, severity=self.severity,
                       location=Location(self.path, self.line, self.column),
                       help_uri=f"{_DOCS}#secret-found", allowed_by=self.allowed_by)

    def to_json(self) -> dict[str, Any]:
        return {name: str(getattr(self, name)) if name == "severity" else getattr(self, name)
                for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class ScanResult:
    """What a scan covered, what it skipped and why, and what it found."""

    scope: str
    """`worktree`, `range` or `history`."""
    base: str | None
    head: str | None
    files_scanned: int
    bytes_scanned: int
    commits_scanned: int
    skipped: dict[str, int]
    findings: tuple[SecretFinding, ...]
    rules: int
    engine: str = ENGINE

    @property
    def unresolved(self) -> tuple[SecretFinding, ...]:
        return tuple(f for f in self.findings if f.allowed_by is None)

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope, "base": self.base, "head": self.head,
            "files_scanned": self.files_scanned, "bytes_scanned": self.bytes_scanned,
            "commits_scanned": self.commits_scanned, "skipped": dict(sorted(self.skipped.items())),
            "rules": self.rules, "engine": self.engine,
            "findings": [f.to_json() for f in self.findings],
        }


# -- the rules and allowances of a policy --------------------------------------------------------


def policy_rules(policy: Policy, root: Path, extra: Path | None = None) -> tuple[Rule, ...]:
    """evidencepack's rules, then the policy's gitleaks rules file and its own rules, then `extra`."""
    where = policy.source or "the policy"
    rules = list(RULES)
    if policy.secrets.rules_file:
        path = (root / policy.secrets.rules_file).resolve()
        if not path.is_relative_to(root.resolve()):
            raise InputError(f"{where}: secrets.rules_file {policy.secrets.rules_file} leads out of "
                             "the repository")
        if not path.is_file():
            raise InputError(f"{where}: secrets.rules_file {policy.secrets.rules_file}: no such file")
        rules.extend(load_gitleaks_toml(path))
    rules.extend(rule_from_table(r.table(), f"{where}: rule {r.id!r}") for r in policy.secrets.rules)
    if extra is not None:
        rules.extend(load_gitleaks_toml(extra))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise InputError(f"secret rule id {rule.id!r} is defined twice (rules added by the "
                             "policy or a rules file must not reuse an id)")
        seen.add(rule.id)
    return tuple(rules)


def apply_policy_allowances(result: ScanResult, policy: Policy, today: date) -> ScanResult:
    """Accept findings that an unexpired AC-4 entry of the policy's `allow:` list covers
    (by rule `secret/<id>` and path prefix), with that entry's reason."""
    out = []
    for f in result.findings:
        if f.allowed_by is None:
            entry = policy.allowance("AC-4", f"secret/{f.rule}", f.path, today)
            if entry is not None:
                f = replace(f, allowed_by=f"policy: {entry.reason}")
        out.append(f)
    return replace(result, findings=tuple(out))


# -- one text ------------------------------------------------------------------------------------


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    return starts


def _locate(starts: Sequence[int], offset: int) -> tuple[int, int]:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo + 1, offset - starts[lo] + 1


def _findings(text: str, matches: Sequence[Match], path: str,
              lines: Sequence[int] | None = None) -> list[SecretFinding]:
    if not matches:
        return []
    starts = _line_starts(text)
    out = []
    for match in matches:
        line, column = _locate(starts, match.start)
        # The allow comment is looked for on the secret's line with the secret cut out, so a
        # reason that runs to the end of the line can never carry it.
        end = starts[line] if line < len(starts) else len(text)
        around = text[starts[line - 1]:match.start] + " " + text[min(match.end, end):end]
        out.append(_finding(match, path, lines[line - 1] if lines else line, column, around))
    return out


def _finding(match: Match, path: str, line: int, column: int, line_text: str) -> SecretFinding:
    allowed, note = None, None
    comment = _ALLOW.search(line_text)
    if comment:
        # Another credential later on the line would otherwise be copied into the reason.
        reason = redact(comment.group("reason").strip()).text
        reason = reason.encode("utf-8", "replace").decode("utf-8")
        if reason:
            allowed = f"inline: {reason}"
        else:
            note = "an allow comment without a reason is not honoured"
    return SecretFinding(
        rule=match.rule.id, description=match.rule.description, severity=match.rule.severity,
        path=path, line=line, column=column,
        fingerprint=fingerprint(match.rule.id, match.secret, path), preview=preview(match.secret),
        allowed_by=allowed, note=note,
    )


# -- the working tree ---------------------------------------------------------------------------


def _tree_files(root: Path) -> list[str]:
    if (root / ".git").exists():
        out = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        return sorted({p for p in out.split("\0") if p})
    files = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            files.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(files)


def _classify(root: Path, rel: str, max_bytes: int) -> tuple[str | None, int]:
    """(skip reason or None, size) without reading the file."""
    path = root / rel
    if PurePosixPath(rel).name in LOCKFILES:
        return "lockfile", 0
    try:
        info = os.lstat(path)
    except OSError:
        return "unreadable", 0
    if stat.S_ISLNK(info.st_mode):
        return "symlink", 0
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file", 0
    if info.st_size > max_bytes:
        return "over the size limit", info.st_size
    return None, info.st_size


_WORKER: dict[str, Any] = {}


def _init_worker(rules: Sequence[Rule]) -> None:
    _WORKER["matcher"] = SecretMatcher(rules)


def _scan_batch(args: tuple[str, list[str]]) -> tuple[list[SecretFinding], Counter[str], int, int]:
    root_text, paths = args
    root = Path(root_text)
    matcher: SecretMatcher = _WORKER["matcher"]
    found: list[SecretFinding] = []
    skipped: Counter[str] = Counter()
    scanned = size = 0
    for rel in paths:
        try:
            data = (root / rel).read_bytes()
        except OSError:
            skipped["unreadable"] += 1
            continue
        if b"\0" in data[:8192]:
            skipped["binary"] += 1
            continue
        scanned += 1
        size += len(data)
        text, matches = matcher.scan_bytes(data)
        found.extend(_findings(text, matches, rel))
    return found, skipped, scanned, size


def scan_tree(root: Path, *, rules: Sequence[Rule] = RULES, max_bytes: int = MAX_FILE_BYTES,
              workers: int | None = None, today: date | None = None) -> ScanResult:
    """Scan every tracked and untracked (not ignored) file of the tree at `root`."""
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    skipped: Counter[str] = Counter()
    batches: list[list[str]] = [[]]
    batch_bytes = total = 0
    for rel in _tree_files(root):
        reason, size = _classify(root, rel, max_bytes)
        if reason:
            skipped[reason] += 1
            continue
        if batch_bytes >= _BATCH_BYTES:
            batches.append([])
            batch_bytes = 0
        batches[-1].append(rel)
        batch_bytes += size
        total += size
    findings: list[SecretFinding] = []
    scanned = size_scanned = 0
    for found, skips, count, size in _run_batches(str(root), batches, rules, total, workers):
        findings.extend(found)
        skipped.update(skips)
        scanned += count
        size_scanned += size
    result = ScanResult("worktree", None, None, scanned, size_scanned, 0, dict(skipped),
                        tuple(sorted(findings, key=_order)), len(rules))
    return apply_baseline(result, load_baseline(root), today or date.today())


def _run_batches(root: str, batches: list[list[str]], rules: Sequence[Rule], total: int,
                 workers: int | None) -> Iterator[tuple[list[SecretFinding], Counter[str], int, int]]:
    jobs = [(root, batch) for batch in batches if batch]
    count = workers or min(os.cpu_count() or 1, 8)
    if count <= 1 or total < _PARALLEL_FROM_BYTES or len(jobs) < 2:
        _init_worker(rules)
        yield from map(_scan_batch, jobs)
        return
    # Forked workers inherit nothing to pickle but the rules; each compiles its own database.
    with get_context("fork").Pool(count, initializer=_init_worker, initargs=(rules,)) as pool:
        yield from pool.imap_unordered(_scan_batch, jobs)


def _order(f: SecretFinding) -> tuple[str, str, int, int, str]:
    return (f.commit or "", f.path, f.line, f.column, f.rule)


# -- history ---------------------------------------------------------------------------------------

_HUNK = re.compile(rb"@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_OLD_LINES = re.compile(rb"(?:[-\\][^\n]*\n)*")
"""Removed lines and "\\ No newline at end of file" markers, skipped."""
_NEW_LINES = re.compile(rb"(?:\+[^\n]*\n)+")
_READ_BYTES = 16 * 1024 * 1024


@dataclass
class _Added:
    """The lines one commit added to one file, as blocks of consecutive lines."""

    commit: str
    author: str
    path: str
    blocks: list[tuple[int, bytes]] = field(default_factory=list)
    """(first line number in the new file, the lines without their '+', each ending in \\n)."""

    def data(self) -> bytes:
        return b"".join(block for _, block in self.blocks)

    def numbers(self) -> list[int]:
        out: list[int] = []
        for first, block in self.blocks:
            out.extend(range(first, first + block.count(b"\n")))
        return out


class _LogReader:
    """Turns `git log -p --unified=0` output into `_Added`, a run of lines at a time.

    Inside a hunk, every line that starts with '+' is content, even one that reads like a
    `+++ b/path` header; the blocks of added lines are taken whole by one regex match, so
    the cost is per hunk, not per line.
    """

    def __init__(self) -> None:
        self.commit = self.author = ""
        self.current: _Added | None = None
        self.in_hunk = False
        self.number = 0

    def feed(self, buf: bytes) -> Iterator[_Added]:
        """Consume `buf`, which holds whole lines."""
        pos, size = 0, len(buf)
        while pos < size:
            if self.in_hunk:
                old = _OLD_LINES.match(buf, pos)
                assert old is not None  # the pattern matches the empty string
                pos = old.end()
                if pos < size and buf[pos] == 0x2B:  # '+'
                    run = _NEW_LINES.match(buf, pos)
                    assert run is not None
                    block = run.group()
                    if self.current is not None:
                        self.current.blocks.append((self.number, block[1:].replace(b"\n+", b"\n")))
                    self.number += block.count(b"\n")
                    pos = run.end()
                    continue
                if pos >= size:
                    break
                self.in_hunk = False
            stop = buf.find(b"\n", pos)
            stop = size if stop < 0 else stop
            line = buf[pos:stop]
            pos = stop + 1
            if line.startswith(b"\0commit "):
                yield from self._flush()
                _, sha, who = [*line.split(b"\0"), b"", b"", b""][:3]
                self.commit = sha.removeprefix(b"commit ").decode("ascii", "replace")
                self.author = who.decode("utf-8", "replace")
            elif line.startswith(b"+++ "):
                yield from self._flush()
                target = line[4:].decode("utf-8", "replace")
                if target.startswith("b/"):
                    self.current = _Added(self.commit, self.author, target[2:])
            elif line.startswith(b"@@ "):
                hunk = _HUNK.match(line)
                self.number = int(hunk.group(1)) if hunk else 0
                self.in_hunk = True

    def _flush(self) -> Iterator[_Added]:
        if self.current is not None and self.current.blocks:
            yield self.current
        self.current = None


def _chunks(stream: IO[bytes]) -> Generator[bytes, None, None]:
    """`stream` in large chunks, read by a thread so that git keeps writing while we parse."""
    chunks: queue.Queue[bytes] = queue.Queue(maxsize=4)

    def pump() -> None:
        while chunk := stream.read(_READ_BYTES):
            chunks.put(chunk)
        chunks.put(b"")

    thread = threading.Thread(target=pump, name="git-log-reader", daemon=True)
    thread.start()
    try:
        while chunk := chunks.get():
            yield chunk
    finally:  # a consumer that stops early: let the reader run to the end of the stream
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                chunks.get(timeout=0.1)


def _added_lines(checkout: Checkout, spec: list[str]) -> Iterator[_Added]:
    """The lines each commit added, file by file, from `git log -p` (deleted files included)."""
    proc = subprocess.Popen(
        ["git", "-c", f"safe.directory={checkout.root}", "log", "-p", "--no-color", "--unified=0",
         "--no-renames", "--no-ext-diff", "--format=%x00commit %H%x00%an <%ae>", *spec],
        cwd=checkout.root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    reader = _LogReader()
    tail = b""
    chunks = _chunks(proc.stdout)
    complete = False
    try:
        for chunk in chunks:
            buf = tail + chunk
            cut = buf.rfind(b"\n") + 1
            tail = buf[cut:]
            yield from reader.feed(buf[:cut])
        complete = True
    finally:
        if not complete:  # the consumer stopped early: end git, then the reader
            proc.kill()
            proc.wait()
        chunks.close()
    if tail:
        yield from reader.feed(tail + b"\n")
    yield from reader._flush()
    proc.wait()
    if proc.returncode not in (0, None):
        raise InputError(f"git log failed in {checkout.root} (exit {proc.returncode})")


def scan_history(checkout: Checkout, base: str | None, head: str = "HEAD", *,
                 rules: Sequence[Rule] = RULES, today: date | None = None) -> ScanResult:
    """Scan the lines added by each commit of base..head (the whole history when base is None)."""
    matcher = SecretMatcher(rules)
    spec = [f"{base}..{head}"] if base else [head]
    findings: list[SecretFinding] = []
    commits: set[str] = set()
    skipped: Counter[str] = Counter()
    scanned = size = 0
    for added in _added_lines(checkout, spec):
        commits.add(added.commit)
        if PurePosixPath(added.path).name in LOCKFILES:
            skipped["lockfile"] += 1
            continue
        data = added.data()
        scanned += 1
        size += len(data)
        text, matches = matcher.scan_bytes(data)
        if matches:
            findings.extend(replace(f, commit=added.commit, author=added.author)
                            for f in _findings(text, matches, added.path, added.numbers()))
    scope = "range" if base else "history"
    result = ScanResult(scope, base, head, scanned, size, len(commits), dict(skipped),
                        tuple(sorted(findings, key=_order)), len(rules))
    return apply_baseline(result, load_baseline(checkout.root), today or date.today())


# -- the baseline ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    reason: str
    expires: date | None = None


def load_baseline(root: Path) -> tuple[BaselineEntry, ...]:
    """`.evidencepack/secrets-baseline.json`: accepted fingerprints, each with a reason."""
    path = root / BASELINE
    if not path.is_file() or path.is_symlink():
        return ()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{BASELINE}: not a readable JSON file ({exc})") from None
    entries = data.get("secrets") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"{BASELINE}: expected {{\"secrets\": [...]}}")
    out = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise InputError(f"{BASELINE}: entry {number} has no fingerprint")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise InputError(f"{BASELINE}: entry {number} ({entry['fingerprint'][:12]}) needs a reason")
        expires = None
        if entry.get("expires") is not None:
            try:
                expires = date.fromisoformat(str(entry["expires"]))
            except ValueError:
                raise InputError(f"{BASELINE}: entry {number}: expires must be YYYY-MM-DD") from None
        out.append(BaselineEntry(entry["fingerprint"], reason.strip(), expires))
    return tuple(out)


def apply_baseline(result: ScanResult, entries: Sequence[BaselineEntry], today: date) -> ScanResult:
    """Mark findings the baseline accepts; an expired entry accepts nothing and says so."""
    if not entries:
        return result
    by_print = {e.fingerprint: e for e in entries}
    marked = []
    for finding in result.findings:
        entry = by_print.get(finding.fingerprint)
        if entry is None or finding.allowed_by:
            marked.append(finding)
        elif entry.expires is not None and entry.expires < today:
            marked.append(replace(finding, note=f"baseline entry expired on {entry.expires}"))
        else:
            marked.append(replace(finding, allowed_by=f"baseline: {entry.reason}"))
    return replace(result, findings=tuple(marked))
