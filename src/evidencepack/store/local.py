"""The embedded store: a folder with packs as files, an SQLite index and a hash-chained ledger."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from ..errors import StoreError
from .interface import LedgerEntry, PackRecord, Store

GENESIS = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS packs (
    pack_id TEXT PRIMARY KEY,
    repository TEXT,
    commit_sha TEXT NOT NULL,
    branch TEXT,
    created_at TEXT NOT NULL,
    run_url TEXT,
    controls TEXT NOT NULL,
    attestation_sha256 TEXT NOT NULL,
    location TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS packs_by_repository ON packs (repository, created_at);
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY,
    pack_id TEXT NOT NULL UNIQUE,
    attestation_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    previous TEXT NOT NULL,
    entry_hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
"""


def entry_hash(seq: int, pack_id: str, attestation_sha256: str, created_at: str,
               previous: str) -> str:
    """The hash an entry is chained by: over its fields and the previous entry's hash."""
    canonical = json.dumps(
        [seq, pack_id, attestation_sha256, created_at, previous], separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class LocalStore(Store):
    """`<root>/packs/<id>/`, `<root>/packs/<id>.tar.gz`, `<root>/index.sqlite`, `<root>/keys/`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if root.exists() and not root.is_dir():
            raise StoreError(f"{root}: the store path exists and is not a directory")
        try:
            (root / "packs").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{root}: cannot create the store: {exc.strerror}") from None
        with self._db() as db:
            db.executescript(_SCHEMA)

    @property
    def packs_dir(self) -> Path:
        return self.root / "packs"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.root / "index.sqlite", timeout=30)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.root}: cannot open the index: {exc}") from None
        try:
            with db:
                yield db
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.root}/index.sqlite: {exc}") from None
        finally:
            db.close()

    def record(self, record: PackRecord) -> LedgerEntry:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            last = db.execute(
                "SELECT seq, entry_hash FROM ledger ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq = (last[0] + 1) if last else 1
            previous = last[1] if last else GENESIS
            digest = entry_hash(seq, record.pack_id, record.attestation_sha256,
                                record.created_at, previous)
            db.execute(
                "INSERT INTO packs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.pack_id, record.repository, record.commit, record.branch,
                 record.created_at, record.run_url, json.dumps(record.controls, sort_keys=True),
                 record.attestation_sha256, record.location),
            )
            db.execute(
                "INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?)",
                (seq, record.pack_id, record.attestation_sha256, record.created_at, previous,
                 digest),
            )
        return LedgerEntry(seq, record.pack_id, record.attestation_sha256, record.created_at,
                           previous, digest)

    def packs(self, repository: str | None = None) -> list[PackRecord]:
        query = "SELECT * FROM packs"
        args: tuple[str, ...] = ()
        if repository is not None:
            query += " WHERE repository = ?"
            args = (repository,)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY created_at, pack_id", args).fetchall()
        return [
            PackRecord(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8])
            for r in rows
        ]

    def read_pack_file(self, record: PackRecord, path: str) -> bytes | None:
        parts = PurePosixPath(path).parts
        if not parts or path.startswith("/") or ".." in parts or "\\" in path:
            raise StoreError(f"{path}: not a pack-relative path")
        target = Path(record.location).joinpath(*parts)
        try:
            if target.is_symlink() or not target.is_file():
                return None
            return target.read_bytes()
        except OSError as exc:
            raise StoreError(f"{target}: cannot read: {exc.strerror}") from None

    def ledger(self) -> list[LedgerEntry]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM ledger ORDER BY seq").fetchall()
        return [LedgerEntry(*row) for row in rows]

    def verify_ledger(self) -> list[str]:
        problems = []
        previous = GENESIS
        for expected_seq, entry in enumerate(self.ledger(), start=1):
            if entry.seq != expected_seq:
                problems.append(f"ledger entry {entry.seq}: expected sequence {expected_seq}")
            if entry.previous != previous:
                problems.append(f"ledger entry {entry.seq}: does not chain to the entry before")
            recomputed = entry_hash(entry.seq, entry.pack_id, entry.attestation_sha256,
                                    entry.created_at, entry.previous)
            if recomputed != entry.entry_hash:
                problems.append(f"ledger entry {entry.seq}: hash does not match its content")
            previous = entry.entry_hash
        return problems
