"""The repository checkout: HEAD, branch, remote, and safe reads of files inside it."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import InputError, RepositoryError

_GIT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    committer: str
    committed_at: str
    """ISO 8601 committer date."""


@dataclass(frozen=True)
class Checkout:
    """A Git work tree, resolved to its top-level directory."""

    root: Path
    head: Commit | None
    """None for a plain directory that is not a Git work tree (`scan` accepts those)."""
    branch: str | None
    """Current branch, None when HEAD is detached."""
    remote_url: str | None
    """URL of `origin` (or the only remote), with credentials removed."""

    def git(self, *args: str, check: bool = True) -> str:
        """Run git in this checkout and return its standard output."""
        return run_git(self.root, *args, check=check)

    def tracked(self, paths: list[str]) -> set[str]:
        """The subset of `paths` that are tracked in Git."""
        if not paths or self.head is None:
            return set()
        out = self.git("ls-files", "-z", "--", *paths)
        return {p for p in out.split("\0") if p}

    def modified(self, paths: list[str]) -> set[str]:
        """Tracked paths whose work-tree content differs from HEAD."""
        if not paths or self.head is None:
            return set()
        out = self.git("diff", "--name-only", "-z", "HEAD", "--", *paths)
        return {p for p in out.split("\0") if p}


def run_git(cwd: Path, *args: str, check: bool = True) -> str:
    """Run git with a fixed environment; raise `RepositoryError` with git's own message."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") or k in ("GIT_CONFIG_NOSYSTEM",)
    }
    env.update({"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"})
    try:
        proc = subprocess.run(
            # The checkout may belong to another user in CI containers; reading it is safe.
            ["git", "-c", f"safe.directory={cwd}", "-c", "core.quotepath=off", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise RepositoryError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise RepositoryError(f"git {args[0]} timed out after {_GIT_TIMEOUT:.0f}s") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        first = message[-1] if message else f"exit code {proc.returncode}"
        raise RepositoryError(f"git {args[0]} failed in {cwd}: {first}")
    return proc.stdout.decode("utf-8", "replace")


def open_checkout(path: Path) -> Checkout:
    """Open the Git checkout at `path`; raise a one-line error if it is not usable."""
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise InputError(f"{path}: not a directory")
    try:
        top = run_git(path, "rev-parse", "--show-toplevel").strip()
    except RepositoryError:
        raise RepositoryError(f"{path}: not a Git repository (or git cannot read it)") from None
    root = Path(top)
    try:
        sha = run_git(root, "rev-parse", "--verify", "HEAD^{commit}").strip()
    except RepositoryError:
        raise RepositoryError(f"{root}: the repository has no commits yet") from None
    fields = run_git(root, "log", "-1", "--format=%an <%ae>%x00%cn <%ce>%x00%cI", sha).strip()
    author, committer, committed_at = [*fields.split("\0"), "", ""][:3]
    branch = run_git(root, "symbolic-ref", "--short", "-q", "HEAD", check=False).strip() or None
    return Checkout(
        root=root,
        head=Commit(sha=sha, author=author, committer=committer, committed_at=committed_at),
        branch=branch,
        remote_url=_remote_url(root),
    )


def open_tree(path: Path) -> Checkout:
    """A Git checkout if `path` is inside one, else the plain directory (for `scan`)."""
    if not path.is_dir():
        return open_checkout(path)
    try:
        return open_checkout(path)
    except RepositoryError:
        return Checkout(root=path.resolve(), head=None, branch=None, remote_url=None)


def _remote_url(root: Path) -> str | None:
    remotes = run_git(root, "remote", check=False).split()
    if not remotes:
        return None
    name = "origin" if "origin" in remotes else remotes[0]
    url = run_git(root, "remote", "get-url", name, check=False).strip()
    return strip_credentials(url) if url else None


_URL_USERINFO = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^@/]*@)")


def strip_credentials(url: str) -> str:
    """Remove `user:password@` from a URL, keeping `git@` of SSH URLs (not a credential)."""
    match = _URL_USERINFO.match(url)
    if match is None:
        return url
    userinfo = match.group("userinfo")
    if ":" not in userinfo and userinfo in ("git@", "ssh@"):
        return url
    return match.group("scheme") + url[match.end():]


_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?!//)(?P<path>.+)$")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/]*@)?(?P<host>[^/:]+)(?::\d+)?/(?P<path>.+)$")


def repository_slug(url: str | None) -> tuple[str | None, str | None]:
    """(`owner/name` or `group/sub/name`, host) from a remote URL; (None, None) if local."""
    if not url:
        return None, None
    match = _URL.match(url)
    if match is None and not url.startswith(("/", ".", "file:")):
        match = _SCP_LIKE.match(url)
    if match is None or url.startswith("file:"):
        return None, None
    path = match.group("path").strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    if path.count("/") < 1 or any(part in ("", ".", "..") for part in path.split("/")):
        return None, match.group("host")
    return path, match.group("host")


@dataclass(frozen=True)
class FileRead:
    """The outcome of reading one file of the checkout."""

    path: str
    data: bytes | None
    size: int
    problem: str | None
    """Why `data` is None: outside the repository, too large, not a file."""


def read_inside(root: Path, relpath: str, max_bytes: int) -> FileRead:
    """Read `relpath` only if it resolves inside `root`, is a regular file and is small enough.

    Symlinks are followed only while they stay inside the repository, so a link to
    `/etc/shadow` or `../../secrets` is reported, never read.
    """
    pure = PurePosixPath(relpath)
    if pure.is_absolute() or ".." in pure.parts:
        return FileRead(relpath, None, 0, "path leaves the repository")
    candidate = root / pure
    try:
        real = candidate.resolve(strict=True)
        root_real = root.resolve(strict=True)
    except (OSError, RuntimeError):
        target = str(candidate.readlink()) if candidate.is_symlink() else None
        reason = f"symlink to {target} does not resolve" if target else "cannot be resolved"
        return FileRead(relpath, None, 0, reason)
    if real != root_real and root_real not in real.parents:
        return FileRead(relpath, None, 0, "symlink points outside the repository; not followed")
    if not real.is_file():
        return FileRead(relpath, None, 0, "not a regular file")
    size = real.stat().st_size
    if size > max_bytes:
        return FileRead(relpath, None, size, f"{size:,} bytes is over the {max_bytes:,}-byte limit")
    try:
        with real.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return FileRead(relpath, None, size, f"cannot read: {exc.strerror}")
    if len(data) > max_bytes:
        return FileRead(relpath, None, len(data), f"over the {max_bytes:,}-byte limit")
    return FileRead(relpath, data, len(data), None)
