"""zizmor, the hardening audit for GitHub Actions workflows (HD-1), run as a subprocess.

zizmor runs offline, from the repository root with repository-relative paths, so every
location it reports is already repository-relative. Its JSON report is kept byte for byte
as evidence; the findings are converted to evidencepack's own `Finding`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ...model import Finding, Location, Severity

NOT_FOUND = "zizmor not found: install evidencepack with its dependencies"

# 0: no findings; 10 + the highest severity (unknown .. high): findings present.
_SUCCESS_CODES = frozenset({0, 10, 11, 12, 13, 14})
_NO_INPUTS = 3

_SEVERITIES = {
    "Unknown": Severity.INFO,
    "Informational": Severity.INFO,
    "Low": Severity.LOW,
    "Medium": Severity.MEDIUM,
    "High": Severity.HIGH,
}

# zizmor would use a token for online audits if it found one; it must never go online.
_WITHHELD_VARIABLES = ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN", "GH_HOST")

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# zizmor's warning for an input that fails its schema validation (it then skips the file).
_SKIPPED = re.compile(r"failed to (?:validate|load) file://(\S+?) as")
_LOGGED_VERSION = re.compile(r"zizmor v(\d+\.\d+\.\d+\S*)")


@dataclass(frozen=True)
class ZizmorRun:
    """The outcome of one zizmor run."""

    findings: tuple[Finding, ...]
    version: str
    """zizmor's version, e.g. `1.32.0`; empty when it could not be read."""
    raw: bytes
    """zizmor's JSON report as printed, kept as evidence."""
    error: str | None
    """One line saying why the audit did not run, None when it did."""
    skipped: tuple[str, ...] = ()
    """Inputs zizmor declined to audit (it only warns about them), as given to it."""


def find_zizmor() -> str | None:
    """Path of the zizmor binary: the one installed beside this Python first, then PATH."""
    bindir = Path(sys.executable).parent
    for name in ("zizmor", "zizmor.exe"):
        candidate = bindir / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("zizmor")


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _WITHHELD_VARIABLES}
    env.update({
        "NO_COLOR": "1",
        "CLICOLOR": "0",
        "ZIZMOR_OFFLINE": "true",
        # A one-line cause is wanted, not a Rust backtrace.
        "RUST_BACKTRACE": "0",
        "RUST_LIB_BACKTRACE": "0",
    })
    return env


def zizmor_version(binary: str, *, timeout: float = 30.0) -> str:
    """The version `binary --version` reports, or an empty string."""
    try:
        done = subprocess.run(
            [binary, "--version"], capture_output=True, timeout=timeout, env=_environment(),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    words = done.stdout.decode("utf-8", "replace").split()
    return words[-1] if done.returncode == 0 and words else ""


class ZizmorAudit:
    """A zizmor run in progress, so the caller can work while it audits; `result()` waits."""

    def __init__(self, root: Path, paths: Sequence[str], persona: str, timeout: float) -> None:
        self._root = root
        self._paths = tuple(paths)
        self._timeout = timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._done: ZizmorRun | None = None
        self._binary = find_zizmor()
        if self._binary is None:
            self._done = ZizmorRun((), "", b"", NOT_FOUND)
            return
        if not paths:
            self._done = ZizmorRun((), zizmor_version(self._binary), b"", None)
            return
        # A repository's own zizmor config and inline ignore comments would silence findings
        # without a recorded reason; evidencepack's policy `allow:` list is the place for that.
        command = [
            self._binary, "--offline", "--format", "json", "--persona", persona,
            "--no-progress", "--color", "never", "--no-config", "--no-ignores", "--", *paths,
        ]
        try:
            self._process = subprocess.Popen(
                command, cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=_environment(),
            )
        except OSError as exc:
            self._done = ZizmorRun((), "", b"",
                                   f"zizmor could not be started: {exc.strerror or exc}")

    def result(self) -> ZizmorRun:
        """Wait for zizmor and convert its report."""
        if self._done is None:
            assert self._process is not None and self._binary is not None
            self._done = self._finish(self._process, self._binary)
        return self._done

    def _finish(self, process: subprocess.Popen[bytes], binary: str) -> ZizmorRun:
        try:
            stdout, raw_stderr = process.communicate(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return ZizmorRun((), zizmor_version(binary), b"",
                             f"zizmor timed out after {self._timeout:g} seconds")
        stderr = _ANSI.sub("", raw_stderr.decode("utf-8", "replace"))
        # zizmor names its version in its first log line; ask it only when that is missing.
        logged = _LOGGED_VERSION.search(stderr)
        version = logged.group(1) if logged else zizmor_version(binary)
        return _convert(stdout, stderr, process.returncode or 0, version, self._paths, self._root)


def start_zizmor(
    root: Path, paths: Sequence[str], persona: str = "regular", *, timeout: float = 300.0
) -> ZizmorAudit:
    """Start auditing `paths` (repository-relative) under `root` with zizmor, offline."""
    return ZizmorAudit(root, paths, persona, timeout)


def run_zizmor(
    root: Path, paths: Sequence[str], persona: str = "regular", *, timeout: float = 300.0
) -> ZizmorRun:
    """Audit `paths` (repository-relative) under `root` with zizmor, offline, and wait."""
    return start_zizmor(root, paths, persona, timeout=timeout).result()


def _convert(stdout: bytes, stderr: str, returncode: int, version: str,
             paths: tuple[str, ...], root: Path) -> ZizmorRun:
    skipped = tuple(dict.fromkeys(_SKIPPED.findall(stderr)))
    if returncode == _NO_INPUTS:
        return ZizmorRun((), version, stdout, "zizmor audited none of the "
                         f"{len(paths)} workflow(s) given: {_reason(stderr)}", skipped)
    if returncode not in _SUCCESS_CODES:
        return ZizmorRun((), version, stdout,
                         f"zizmor failed (exit {returncode}): {_reason(stderr)}", skipped)
    try:
        report = json.loads(stdout)
    except ValueError:
        return ZizmorRun((), version, stdout, "zizmor printed no valid JSON report",
                         skipped)
    if not isinstance(report, list):
        return ZizmorRun((), version, stdout, "zizmor's JSON report is not a list",
                         skipped)
    resolved_root = root.resolve()
    findings = tuple(
        finding
        for item in report
        # `ignored` marks an ignore comment zizmor saw; with --no-ignores it still reports
        # the finding, and so do we (the message says the comment was not honoured).
        if isinstance(item, dict)
        for finding in [_finding(item, resolved_root)]
        if finding is not None
    )
    return ZizmorRun(findings, version, stdout, None, skipped)


def _reason(stderr: str) -> str:
    """zizmor's own cause of failure, in one line, from its log and error output."""
    lines: list[str] = []
    for line in stderr.splitlines():
        if line.startswith("Stack backtrace"):
            break
        text = line.strip()
        if not text or line[:1].isspace() or text.startswith(("|", "=", "Caused by")):
            continue
        lines.append(re.sub(r"^(?:fatal|error):\s*", "", text))
    return ": ".join(dict.fromkeys(lines[:2])) or "no message"


def _finding(item: dict[str, Any], root: Path) -> Finding | None:
    """A zizmor JSON finding as a `Finding`; None when it has no rule id."""
    ident = item.get("ident")
    if not isinstance(ident, str) or not ident:
        return None
    determinations = item.get("determinations")
    if not isinstance(determinations, dict):
        determinations = {}
    primary = _primary(item.get("locations"))
    annotation = ""
    location = None
    if primary is not None:
        symbolic = primary.get("symbolic") or {}
        annotation = str(symbolic.get("annotation") or "")
        location = _location(primary, root)
    desc = str(item.get("desc") or ident)
    message = f"{desc}: {annotation}" if annotation else desc
    if item.get("ignored"):
        message += " (a zizmor ignore comment is not an accepted exception: use the policy's allow list)"
    confidence = determinations.get("confidence")
    url = item.get("url")
    return Finding(
        rule=f"zizmor/{ident}",
        message=message,
        severity=_SEVERITIES.get(str(determinations.get("severity")), Severity.INFO),
        location=location,
        help_uri=url if isinstance(url, str) else None,
        source="zizmor",
        confidence=confidence.lower() if isinstance(confidence, str) else None,
    )


def _primary(locations: Any) -> dict[str, Any] | None:
    if not isinstance(locations, list):
        return None
    for location in locations:
        if isinstance(location, dict) and (location.get("symbolic") or {}).get("kind") == "Primary":
            return location
    return None


def _location(primary: dict[str, Any], root: Path) -> Location | None:
    key = (primary.get("symbolic") or {}).get("key") or {}
    local = key.get("Local") if isinstance(key, dict) else None
    verbatim = local.get("verbatim_path") if isinstance(local, dict) else None
    if not isinstance(verbatim, str):
        return None
    start = ((primary.get("concrete") or {}).get("location") or {}).get("start_point") or {}
    row, column = start.get("row"), start.get("column")
    return Location(
        path=_relative(verbatim, root),
        line=row + 1 if isinstance(row, int) else None,
        column=column + 1 if isinstance(column, int) else None,
    )


def _relative(path: str, root: Path) -> str:
    """`path` as a repository-relative POSIX path (zizmor echoes inputs as given)."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.resolve().relative_to(root)
        except (ValueError, OSError):
            return candidate.as_posix()
    return str(PurePosixPath(candidate.as_posix()))
