"""The `.tar.gz` beside each pack directory: written reproducibly, read defensively."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from ..errors import VerificationError

MAX_MEMBERS = 100_000
MAX_UNPACKED_BYTES = 4 * 1024**3


def deterministic_tar_gz(members: Mapping[str, bytes], mtime: int = 0) -> bytes:
    """A tar.gz whose bytes depend only on `members` and `mtime`: sorted, fixed owners."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            info.mtime = mtime
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(members[name]))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=mtime) as gz:
        gz.write(buffer.getvalue())
    return out.getvalue()


def write_archive(pack_dir: Path, archive: Path, mtime: int) -> None:
    """Write `pack_dir` as `<name>/...` into a reproducible gzip tar."""
    members = {
        f"{pack_dir.name}/{path.relative_to(pack_dir).as_posix()}": path.read_bytes()
        for path in sorted(pack_dir.rglob("*")) if path.is_file()
    }
    tmp = archive.with_name(archive.name + ".tmp")
    tmp.write_bytes(deterministic_tar_gz(members, mtime))
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
