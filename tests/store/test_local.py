"""The folder store: index, listing and the hash-chained ledger."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from evidencepack.errors import StoreError
from evidencepack.store.interface import PackRecord
from evidencepack.store.local import GENESIS, LocalStore


def _record(n: int, repository: str = "acme/shop") -> PackRecord:
    return PackRecord(
        pack_id=f"20261126T0900{n:02d}Z-0000000{n}",
        repository=repository,
        commit=f"{n:040x}",
        branch="main",
        created_at=f"2026-11-26T09:00:{n:02d}Z",
        run_url=None,
        controls={"AC-1": "pass", "CM-1": "error"},
        attestation_sha256=f"{n:064x}",
        location=f"/store/packs/{n}",
    )


def test_records_are_listed_oldest_first_and_filtered(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    for n in (2, 1, 3):
        store.record(_record(n, "acme/shop" if n != 3 else "acme/other"))
    assert [r.pack_id[-1] for r in store.packs()] == ["1", "2", "3"]
    assert [r.repository for r in store.packs("acme/other")] == ["acme/other"]
    assert store.packs()[0].controls == {"AC-1": "pass", "CM-1": "error"}


def test_ledger_chains_each_entry_to_the_one_before(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    entries = [store.record(_record(n)) for n in (1, 2, 3)]
    assert entries[0].previous == GENESIS
    assert entries[1].previous == entries[0].entry_hash
    assert entries[2].previous == entries[1].entry_hash
    assert store.verify_ledger() == []


def test_ledger_refuses_updates_and_deletes(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    store.record(_record(1))
    db = sqlite3.connect(tmp_path / "s" / "index.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE ledger SET pack_id = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM ledger")
    db.close()


def test_tampered_ledger_is_detected(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    for n in (1, 2, 3):
        store.record(_record(n))
    db = sqlite3.connect(tmp_path / "s" / "index.sqlite")
    db.execute("DROP TRIGGER ledger_no_update")
    db.execute("UPDATE ledger SET attestation_sha256 = ? WHERE seq = 2", ("f" * 64,))
    db.commit()
    db.close()
    problems = store.verify_ledger()
    assert problems == ["ledger entry 2: hash does not match its content"]


def test_duplicate_pack_id_is_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    store.record(_record(1))
    with pytest.raises(StoreError):
        store.record(_record(1))
    assert len(store.ledger()) == 1


def test_store_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        LocalStore(tmp_path / "f")
