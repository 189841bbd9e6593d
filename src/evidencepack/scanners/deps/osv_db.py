"""The offline OSV database: advisory files or OSV's `all.zip` archives, indexed once.

`PATH` is a directory of OSV JSON/YAML files (any depth) and/or per-ecosystem `all.zip`
archives, or one such file. The first run reads every advisory and writes an SQLite index
(lookup by ecosystem and normalized package name) into a cache directory, keyed by the
list of database files with their sizes and modification times; later runs only open the
index. Archives are read in memory, never extracted, and refused when hostile.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import stat
import tempfile
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ...errors import InputError, YamlError
from ...model import Severity, instant
from ...yamltree import parse_yaml
from .severity import Rating, rate
from .versions import base_ecosystem, normalize_name

INDEX_FORMAT = "evidencepack-osv-index-4"
ADVISORY_SUFFIXES = (".json", ".yaml", ".yml")
MAX_ADVISORY_BYTES = 32 * 1024 * 1024
"""One advisory larger than this is not an advisory (the largest OSV records are ~5 MiB)."""
MAX_ZIP_MEMBERS = 2_000_000
MAX_ZIP_TOTAL_BYTES = 8 * 1024 * 1024 * 1024
"""The uncompressed size of every advisory of an archive together."""
MAX_COMPRESSION_RATIO = 100
"""JSON compresses about 10:1; a member that claims more than this (above 1 MiB) is a bomb."""
SKIPPED_LISTED = 50


class DatabaseError(InputError):
    """The advisory database cannot be read or is hostile."""


@dataclass(frozen=True)
class DatabaseInfo:
    """Which advisory data a scan used, and how fresh it was."""

    kind: str
    """`offline` (a local database) or `online` (the OSV API)."""
    source: str
    """The database path, or the API's base URL."""
    advisories: int
    newest_modified: str | None
    """The newest `modified` time among the advisories (ISO 8601 UTC): the data's freshness."""
    fetched_at: str | None = None
    """When the advisories were fetched (online mode)."""
    index: str | None = None
    """The index file used (offline mode)."""
    index_built: bool = False
    """True when this run built the index, False when it was loaded."""
    skipped: tuple[str, ...] = ()
    """Database files that were not advisories, and why (the first few)."""
    skipped_count: int = 0
    ecosystems: Mapping[str, str] | None = None
    """Offline: the newest `modified` per ecosystem (an `all.zip` per ecosystem can be older
    than the others); None online, where every ecosystem is current."""

    def ecosystem_as_of(self, ecosystem: str) -> datetime | None:
        """How current the data of one ecosystem is; None when it has no advisory at all."""
        if self.ecosystems is None:
            return self.as_of
        return instant(self.ecosystems.get(ecosystem))

    @property
    def as_of(self) -> datetime | None:
        """The moment the data is current to: the fetch time, else the newest advisory."""
        for text in (self.fetched_at, self.newest_modified):
            moment = instant(text)
            if moment is not None:
                return moment
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "advisories": self.advisories,
            "newest_modified": self.newest_modified,
            "fetched_at": self.fetched_at,
            "index": self.index,
            "index_built": self.index_built,
            "skipped": list(self.skipped),
            "skipped_count": self.skipped_count,
            "ecosystems": dict(self.ecosystems) if self.ecosystems is not None else None,
        }


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class AdvisorySource(ABC):
    """Where the matcher gets the advisories of one package."""

    @property
    @abstractmethod
    def info(self) -> DatabaseInfo:
        """What database this is and how fresh."""

    @abstractmethod
    def advisories(self, ecosystem: str, name: str) -> list[Mapping[str, Any]]:
        """Every advisory with an `affected` entry for this package (normalized name)."""

    def prefetch(self, packages: Iterable[tuple[str, str]]) -> None:  # noqa: B027
        """Load the advisories of many (ecosystem, name) at once; optional."""

    def rating(self, advisory: Mapping[str, Any]) -> Rating:
        """The advisory's severity (an index may hold it precomputed)."""
        return rate(advisory)

    def close(self) -> None:  # noqa: B027
        """Release connections and files; a source without any keeps this."""


@dataclass
class _Build:
    advisories: dict[str, tuple[str, bytes, frozenset[tuple[str, str]], Rating]] = field(
        default_factory=dict)
    """id -> (modified, compact JSON of what matching reads, packages, severity)."""
    skipped: list[str] = field(default_factory=list)
    skipped_count: int = 0

    def skip(self, where: str, why: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < SKIPPED_LISTED:
            self.skipped.append(f"{where}: {why}")


class OfflineDatabase(AdvisorySource):
    """An SQLite index of an OSV database, opened read-only."""

    def __init__(self, index: Path, info: DatabaseInfo) -> None:
        self._info = info
        try:
            self._db = sqlite3.connect(f"{index.as_uri()}?mode=ro", uri=True,
                                       check_same_thread=False)
            rows = self._db.execute("SELECT ecosystem, name, id FROM packages").fetchall()
        except sqlite3.Error as exc:
            raise DatabaseError(f"{index}: cannot open the advisory index: {exc}") from None
        self._packages: dict[tuple[str, str], list[str]] = {}
        for eco, name, advisory_id in rows:
            self._packages.setdefault((eco, name), []).append(advisory_id)
        self._cache: dict[str, Mapping[str, Any]] = {}
        self._ratings: dict[str, Rating] = {}

    @property
    def info(self) -> DatabaseInfo:
        return self._info

    def close(self) -> None:
        self._db.close()

    def _ids(self, ecosystem: str, name: str) -> list[str]:
        return self._packages.get((base_ecosystem(ecosystem), normalize_name(ecosystem, name)), [])

    def prefetch(self, packages: Iterable[tuple[str, str]]) -> None:
        wanted = sorted({i for eco, name in packages for i in self._ids(eco, name)} - set(self._cache))
        for start in range(0, len(wanted), 500):
            self._load(wanted[start:start + 500])

    def _load(self, ids: list[str]) -> None:
        # Only `?` placeholders are put into the text; the ids are bound parameters.
        query = ("SELECT id, body, severity, score, basis FROM advisories WHERE id IN "  # noqa: S608
                 f"({','.join('?' * len(ids))})")
        try:
            rows = self._db.execute(query, ids).fetchall()
        except sqlite3.Error as exc:
            raise DatabaseError(f"{self._info.index}: the advisory index is unreadable: {exc}") from None
        for advisory_id, body, severity, score, basis in rows:
            self._cache[advisory_id] = json.loads(body)
            self._ratings[advisory_id] = Rating(Severity(severity) if severity else None, score, basis)

    def advisories(self, ecosystem: str, name: str) -> list[Mapping[str, Any]]:
        ids = self._ids(ecosystem, name)
        missing = [i for i in ids if i not in self._cache]
        for start in range(0, len(missing), 500):
            self._load(missing[start:start + 500])
        return [self._cache[i] for i in sorted(ids) if i in self._cache]

    def rating(self, advisory: Mapping[str, Any]) -> Rating:
        known = self._ratings.get(str(advisory.get("id")))
        return known if known is not None else rate(advisory)

    def all_advisories(self) -> Iterator[Mapping[str, Any]]:
        """Every advisory of the index (benchmarks and tests)."""
        for (body,) in self._db.execute("SELECT body FROM advisories ORDER BY id"):
            yield json.loads(body)


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """`$XDG_CACHE_HOME/evidencepack/osv`, else `~/.cache/evidencepack/osv`."""
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evidencepack" / "osv"


def open_database(path: Path, cache_dir: Path) -> OfflineDatabase:
    """Open the index of the database at `path`, building it first when the files changed."""
    files = _database_files(path)
    if not files:
        raise DatabaseError(f"{path}: no OSV advisory files (.json, .yaml) or all.zip archives here")
    fingerprint = hashlib.sha256(
        json.dumps([INDEX_FORMAT, str(path.resolve()), files], separators=(",", ":")).encode()
    ).hexdigest()
    index = cache_dir / f"osv-{fingerprint[:32]}.sqlite"
    built = False
    meta = _read_meta(index) if index.is_file() else None
    if meta is None:
        _build_index(path, [f[0] for f in files], index)
        meta = _read_meta(index)
        built = True
        _prune(cache_dir, index, str(path))
        if meta is None:
            raise DatabaseError(f"{index}: the advisory index just written cannot be read")
    info = DatabaseInfo(
        kind="offline",
        source=str(path),
        advisories=int(meta["advisories"]),
        newest_modified=meta.get("newest_modified") or None,
        index=str(index),
        index_built=built,
        skipped=tuple(json.loads(meta.get("skipped", "[]"))),
        skipped_count=int(meta.get("skipped_count", "0")),
        ecosystems=json.loads(meta.get("ecosystems", "{}")),
    )
    return OfflineDatabase(index, info)


def _prune(cache_dir: Path, keep: Path, source: str) -> None:
    """Remove the indexes of earlier states of the same database: they are never used again."""
    for other in cache_dir.glob("osv-*.sqlite"):
        if other != keep and (_read_meta(other) or {}).get("source") == source:
            with contextlib.suppress(OSError):
                other.unlink()


def _database_files(path: Path) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime ns) of each advisory file or archive, sorted."""
    try:
        st = path.stat()
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot read the advisory database: {exc.strerror}") from None
    if stat.S_ISREG(st.st_mode):
        if not path.name.endswith((*ADVISORY_SUFFIXES, ".zip")):
            raise DatabaseError(f"{path}: not an OSV advisory file or .zip archive")
        return [("", st.st_size, st.st_mtime_ns)]
    if not stat.S_ISDIR(st.st_mode):
        raise DatabaseError(f"{path}: not a directory or file")
    out: list[tuple[str, int, int]] = []
    base = os.fspath(path).rstrip(os.sep) + os.sep
    suffixes = (*ADVISORY_SUFFIXES, ".zip")
    pending = [base]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            raise DatabaseError(f"{folder}: cannot list: {exc.strerror}") from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            elif entry.name.endswith(suffixes) and entry.is_file(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                rel = entry.path[len(base):].replace(os.sep, "/")
                out.append((rel, info.st_size, info.st_mtime_ns))
    out.sort()
    return out


def _read_meta(index: Path) -> dict[str, str] | None:
    try:
        db = sqlite3.connect(f"{index.as_uri()}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT key, value FROM meta").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    meta = dict(rows)
    return meta if meta.get("format") == INDEX_FORMAT else None


def _build_index(path: Path, files: list[str], index: Path) -> None:
    build = _Build()
    for rel in files:
        source = path / rel if rel else path
        where = rel or path.name
        if source.name.endswith(".zip"):
            for member, data in _zip_members(source):
                _add(build, f"{where}!{member}", member, data)
        else:
            try:
                with source.open("rb") as handle:
                    data = _bounded_read(handle, MAX_ADVISORY_BYTES, where)
            except OSError as exc:
                raise DatabaseError(f"{source}: cannot read: {exc.strerror}") from None
            _add(build, where, source.name, data)
    newest = max((m for m, _, _, _ in build.advisories.values() if m), default="")
    per_ecosystem: dict[str, str] = {}
    for modified, _, packages, _ in build.advisories.values():
        for eco in {e for e, _ in packages}:
            if modified > per_ecosystem.get(eco, ""):
                per_ecosystem[eco] = modified
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".osv-index-", suffix=".tmp", dir=index.parent)
        os.close(fd)
    except OSError as exc:
        raise DatabaseError(f"{index.parent}: cannot write the advisory index: {exc.strerror}") from None
    try:
        db = sqlite3.connect(tmp)
        try:
            db.executescript(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "CREATE TABLE advisories (id TEXT PRIMARY KEY, modified TEXT, body BLOB NOT NULL, "
                "severity TEXT, score REAL, basis TEXT NOT NULL);"
                "CREATE TABLE packages (ecosystem TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL);"
            )
            db.executemany(
                "INSERT INTO advisories VALUES (?, ?, ?, ?, ?, ?)",
                ((i, m, b, str(r.severity) if r.severity else None, r.score, r.basis)
                 for i, (m, b, _, r) in sorted(build.advisories.items())),
            )
            db.executemany(
                "INSERT INTO packages VALUES (?, ?, ?)",
                ((eco, name, i) for i, (_, _, pkgs, _) in sorted(build.advisories.items())
                 for eco, name in sorted(pkgs)),
            )
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("format", INDEX_FORMAT),
                ("source", str(path)),
                ("advisories", str(len(build.advisories))),
                ("newest_modified", newest),
                ("ecosystems", json.dumps(per_ecosystem, sort_keys=True)),
                ("skipped", json.dumps(build.skipped)),
                ("skipped_count", str(build.skipped_count)),
            ])
            db.commit()
        finally:
            db.close()
        Path(tmp).replace(index)
    except (sqlite3.Error, OSError) as exc:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise DatabaseError(f"{index}: cannot write the advisory index: {exc}") from None


def _bounded_read(handle: IO[bytes], limit: int, where: str) -> bytes:
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise DatabaseError(f"{where}: larger than {limit // (1024 * 1024)} MiB: not an OSV advisory")
    return data


def _zip_members(archive: Path) -> Iterator[tuple[str, bytes]]:
    """The advisory members of an OSV archive; refuses the archive if it is hostile."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise DatabaseError(f"{archive}: more than {MAX_ZIP_MEMBERS:,} members: refused")
            total = 0
            for info in infos:
                _check_member(archive, info)
                if info.is_dir() or not info.filename.endswith(ADVISORY_SUFFIXES):
                    continue
                total += info.file_size
                if total > MAX_ZIP_TOTAL_BYTES:
                    raise DatabaseError(
                        f"{archive}: expands to more than {MAX_ZIP_TOTAL_BYTES // 2**30} GiB: "
                        "refused as a zip bomb"
                    )
            for info in infos:
                if info.is_dir() or not info.filename.endswith(ADVISORY_SUFFIXES):
                    continue
                with zf.open(info) as member:
                    # The sizes in the headers may lie: the read itself is bounded.
                    data = member.read(info.file_size + 1)
                if len(data) != info.file_size:
                    raise DatabaseError(
                        f"{archive}: member {info.filename!r} is not the size its header "
                        "declares: refused"
                    )
                yield info.filename, data
    except zipfile.BadZipFile as exc:
        raise DatabaseError(f"{archive}: not a readable zip archive: {exc}") from None
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise DatabaseError(f"{archive}: cannot read the archive: {exc}") from None


def _check_member(archive: Path, info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if (not name or "\x00" in name or "\\" in name or name.startswith("/") or ".." in parts
            or (parts and parts[0].endswith(":"))):
        raise DatabaseError(
            f"{archive}: member name {name!r} points outside the archive: refused as hostile"
        )
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise DatabaseError(f"{archive}: member {name!r} is a symbolic link: refused as hostile")
    if info.flag_bits & 0x1:
        raise DatabaseError(f"{archive}: member {name!r} is encrypted: refused")
    if info.file_size > MAX_ADVISORY_BYTES:
        raise DatabaseError(
            f"{archive}: member {name!r} expands to {info.file_size:,} bytes, more than an "
            "advisory can be: refused as a zip bomb"
        )
    if info.file_size > 1024 * 1024 and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise DatabaseError(
            f"{archive}: member {name!r} compresses {info.file_size // max(info.compress_size, 1)}:1: "
            "refused as a zip bomb"
        )


def _add(build: _Build, where: str, name: str, data: bytes) -> None:
    advisory = _parse(build, where, name, data)
    if advisory is None:
        return
    advisory_id = advisory["id"]
    modified = advisory["modified"]
    previous = build.advisories.get(advisory_id)
    if previous is not None and previous[0] >= modified:
        return
    packages: set[tuple[str, str]] = set()
    for affected in advisory.get("affected") or ():
        package = affected.get("package") if isinstance(affected, dict) else None
        if not isinstance(package, dict):
            continue
        eco, pkg = package.get("ecosystem"), package.get("name")
        if isinstance(eco, str) and isinstance(pkg, str) and eco and pkg:
            packages.add((base_ecosystem(eco), normalize_name(eco, pkg)))
    body = json.dumps(_slim(advisory), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    build.advisories[advisory_id] = (modified, body, frozenset(packages), rate(advisory))


_KEPT = ("id", "modified", "published", "withdrawn", "aliases", "summary", "severity")
_KEPT_AFFECTED = ("package", "ranges", "versions", "severity")


def _slim(advisory: Mapping[str, Any]) -> dict[str, Any]:
    """What matching and the report read of an advisory (Go's symbol lists are left out)."""
    out = {k: advisory[k] for k in _KEPT if k in advisory}
    details = advisory.get("details")
    if isinstance(details, str) and details.strip() and not advisory.get("summary"):
        out["details"] = details.strip().splitlines()[0][:300]
    specific = advisory.get("database_specific")
    if isinstance(specific, Mapping) and "severity" in specific:
        out["database_specific"] = {"severity": specific["severity"]}
    out["affected"] = [{k: a[k] for k in _KEPT_AFFECTED if k in a}
                       for a in advisory.get("affected") or () if isinstance(a, Mapping)]
    return out


def _parse(build: _Build, where: str, name: str, data: bytes) -> dict[str, Any] | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        build.skip(where, "not UTF-8 text")
        return None
    doc: Any
    try:
        doc = json.loads(text) if name.endswith(".json") else parse_yaml(text, source=where).root
    except json.JSONDecodeError as exc:
        build.skip(where, f"invalid JSON: {exc.msg} at line {exc.lineno}")
        return None
    except (YamlError, RecursionError) as exc:
        build.skip(where, f"invalid YAML: {exc}")
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not doc["id"]:
        build.skip(where, "not an OSV record (no `id`)")
        return None
    if not isinstance(doc.get("modified"), str):
        build.skip(where, f"{doc['id']}: not an OSV record (no `modified` time)")
        return None
    modified = instant(doc["modified"])
    if modified is None:
        build.skip(where, f"{doc['id']}: `modified` is not an RFC 3339 time")
        return None
    if not isinstance(doc.get("affected", []), list):
        build.skip(where, f"{doc['id']}: `affected` is not a list")
        return None
    record: dict[str, Any] = dict(doc)
    record["modified"] = iso(modified)
    return record
