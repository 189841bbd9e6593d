"""Finding and reading the pipeline configuration files of a checkout."""

from __future__ import annotations

import fnmatch
import hashlib
from pathlib import Path

from ...errors import YamlError
from ...model import Finding, Location, Severity
from ...sources.repository import Checkout, read_inside
from ...yamltree import parse_yaml
from .codeowners import CODEOWNERS_LOCATIONS
from .gitlab import local_includes
from .model import ConfigFile, ConfigKind

MAX_INCLUDED_FILES = 200
"""A GitLab configuration including more local files than this is cut short (and says so)."""

_DOCS = "https://evidencepack.dev/controls/HD-1"


def _problem(path: str, rule: str, message: str, line: int | None = None,
             column: int | None = None) -> Finding:
    return Finding(
        rule=rule,
        message=message,
        severity=Severity.HIGH,
        location=Location(path, line, column),
        help_uri=f"{_DOCS}#{rule}",
    )


def read_config(checkout: Checkout, relpath: str, kind: ConfigKind, max_bytes: int) -> ConfigFile:
    """Read and (for YAML kinds) parse one configuration file, never raising."""
    read = read_inside(checkout.root, relpath, max_bytes)
    if read.data is None:
        rule = "config-too-large" if "limit" in (read.problem or "") else "config-unreadable"
        return ConfigFile(relpath, kind, read.size, "", False, False,
                          error=_problem(relpath, rule, f"{relpath}: {read.problem}"))
    digest = hashlib.sha256(read.data).hexdigest()
    if b"\0" in read.data[:8192]:
        return ConfigFile(relpath, kind, read.size, digest, False, False,
                          error=_problem(relpath, "config-not-text",
                                         f"{relpath}: binary content, not a text file"))
    try:
        text = read.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ConfigFile(relpath, kind, read.size, digest, False, False,
                          error=_problem(relpath, "config-not-text",
                                         f"{relpath}: not UTF-8 (byte {exc.start})"))
    if kind is ConfigKind.CODEOWNERS:
        return ConfigFile(relpath, kind, read.size, digest, False, False, text=text)
    try:
        document = parse_yaml(text, source=relpath).root
        if kind is ConfigKind.GITLAB_CI and isinstance(document, dict) and set(document) == {"spec"}:
            # A CI/CD component or input-taking file: a `spec:` header document, then the jobs.
            document = parse_yaml(text, source=relpath, document=1).root
    except YamlError as exc:
        line, column = _position(exc.message, relpath)
        return ConfigFile(relpath, kind, read.size, digest, False, False, text=text,
                          error=_problem(relpath, "invalid-yaml", exc.message, line, column))
    return ConfigFile(relpath, kind, read.size, digest, False, False, text=text, document=document)


def _position(message: str, relpath: str) -> tuple[int | None, int | None]:
    rest = message[len(relpath):] if message.startswith(relpath + ":") else ""
    parts = rest.split(":")
    try:
        return int(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        return None, None


def discover(checkout: Checkout, max_bytes: int) -> tuple[list[ConfigFile], list[str]]:
    """All pipeline configuration and CODEOWNERS files, with Git tracking state; and notes."""
    root = checkout.root
    notes: list[str] = []
    found: list[ConfigFile] = []
    workflows = root / ".github" / "workflows"
    if workflows.is_dir() and not workflows.is_symlink():
        # GitHub only runs workflows directly in .github/workflows, not in subfolders.
        for entry in sorted(workflows.iterdir(), key=lambda p: p.name):
            if entry.suffix in (".yml", ".yaml") and (entry.is_file() or entry.is_symlink()):
                found.append(read_config(checkout, f".github/workflows/{entry.name}",
                                         ConfigKind.GITHUB_WORKFLOW, max_bytes))
    if (root / ".gitlab-ci.yml").exists() or (root / ".gitlab-ci.yml").is_symlink():
        found.extend(_gitlab_files(checkout, max_bytes, notes))
    for candidate in CODEOWNERS_LOCATIONS:
        if (root / candidate).is_file() or (root / candidate).is_symlink():
            found.append(read_config(checkout, candidate, ConfigKind.CODEOWNERS, max_bytes))
            break
    paths = [f.path for f in found]
    tracked = checkout.tracked(paths)
    modified = checkout.modified(sorted(tracked))
    return [
        ConfigFile(f.path, f.kind, f.size, f.sha256, f.path in tracked, f.path in modified,
                   text=f.text, document=f.document, error=f.error)
        for f in found
    ], notes


def _gitlab_files(checkout: Checkout, max_bytes: int, notes: list[str]) -> list[ConfigFile]:
    files: list[ConfigFile] = []
    seen: set[str] = set()
    queue = [".gitlab-ci.yml"]
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        if len(seen) >= MAX_INCLUDED_FILES:
            notes.append(f"GitLab includes stopped after {MAX_INCLUDED_FILES} files")
            break
        seen.add(path)
        config = read_config(checkout, path, ConfigKind.GITLAB_CI, max_bytes)
        files.append(config)
        if config.document is None:
            continue
        for reference in local_includes(config.document):
            matches = _expand(checkout.root, reference)
            if not matches:
                notes.append(f"{path}: local include '{reference}' matches no file")
            queue.extend(m for m in matches if m not in seen)
    return files


def _expand(root: Path, reference: str) -> list[str]:
    reference = reference.lstrip("/")
    if not any(ch in reference for ch in "*?["):
        return [reference] if (root / reference).exists() or (root / reference).is_symlink() else []
    # GitLab globs: `*` stays within a folder, `**` crosses folders.
    base = reference.split("*", 1)[0].rsplit("/", 1)[0] if "/" in reference else ""
    start = root / base if base else root
    if not start.is_dir():
        return []
    out = []
    for candidate in sorted(start.rglob("*")):
        rel = candidate.relative_to(root).as_posix()
        if rel.startswith(".git/") or not (candidate.is_file() or candidate.is_symlink()):
            continue
        if _glob_match(rel, reference):
            out.append(rel)
    return out


def _glob_match(path: str, pattern: str) -> bool:
    if "**" in pattern:
        return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(
            path, pattern.replace("**/", "")
        )
    return fnmatch.fnmatchcase(path, pattern) and path.count("/") == pattern.count("/")
