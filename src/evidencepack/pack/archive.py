"""The `.tar.gz` beside each pack directory: written reproducibly, read defensively."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path, PurePosixPath

from ..errors import VerificationError

MAX_MEMBERS = 100_000
MAX_UNPACKED_BYTES = 4 * 1024**3


def write_archive(pack_dir: Path, archive: Path, mtime: int) -> None:
    """Write `pack_dir` as `<name>/...` into a gzip tar with fixed owners and times."""
    files = sorted(p for p in pack_dir.rglob("*") if p.is_file())
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in files:
            info = tarfile.TarInfo(f"{pack_dir.name}/{path.relative_to(pack_dir).as_posix()}")
            info.size = path.stat().st_size
            info.mtime = mtime
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with path.open("rb") as handle:
                tar.addfile(info, handle)
    tmp = archive.with_name(archive.name + ".tmp")
    with tmp.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                              mtime=mtime) as gz:
        gz.write(buffer.getvalue())
    tmp.replace(archive)


def extract_archive(archive: Path, into: Path) -> Path:
    """Extract a pack archive into `into`; return the pack directory.

    Every member must be a regular file or directory inside one top-level folder:
    absolute names, `..`, links and device files are refused before anything is written.
    """
    try:
        tar = tarfile.open(archive, mode="r:gz")  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise VerificationError(f"{archive}: not a readable .tar.gz ({exc})") from None
    with tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise VerificationError(f"{archive}: corrupt archive ({exc})") from None
        if len(members) > MAX_MEMBERS:
            raise VerificationError(f"{archive}: more than {MAX_MEMBERS} members")
        tops: set[str] = set()
        total = 0
        seen: set[str] = set()
        for member in members:
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts or member.name.startswith("/"):
                raise VerificationError(
                    f"{archive}: member '{member.name}' escapes the pack directory"
                )
            if not (member.isfile() or member.isdir()):
                raise VerificationError(
                    f"{archive}: member '{member.name}' is a link or special file"
                )
            normal = name.as_posix()
            if member.isfile() and normal in seen:
                raise VerificationError(f"{archive}: member '{member.name}' appears twice")
            seen.add(normal)
            tops.add(name.parts[0] if name.parts else "")
            total += member.size
            if total > MAX_UNPACKED_BYTES:
                raise VerificationError(f"{archive}: unpacks to more than {MAX_UNPACKED_BYTES} bytes")
        if len(tops) != 1 or "" in tops:
            raise VerificationError(f"{archive}: expected exactly one top-level pack directory")
        try:
            tar.extractall(into, members=members, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise VerificationError(f"{archive}: cannot extract ({exc})") from None
    return into / tops.pop()
