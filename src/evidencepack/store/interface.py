"""The evidence store: where packs are kept for the audit period, and their index.

The local folder store implements it today; a PostgreSQL index with S3-compatible object
storage implements the same interface for an organisation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PackRecord:
    """One pack as the index knows it."""

    pack_id: str
    repository: str | None
    commit: str
    branch: str | None
    created_at: str
    run_url: str | None
    controls: dict[str, str]
    """Control id -> status."""
    attestation_sha256: str
    """Digest of the pack's signed attestation; what the ledger chains."""
    location: str
    """Where the pack lives (a path for the folder store, a URL for object storage)."""


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    pack_id: str
    attestation_sha256: str
    created_at: str
    previous: str
    """`entry_hash` of the entry before, or 64 zeros for the first."""
    entry_hash: str


class Store(ABC):
    """Keeps packs, indexes them, and chains them in an append-only ledger."""

    @property
    @abstractmethod
    def packs_dir(self) -> Path:
        """Where new packs are written before they are recorded."""

    @property
    @abstractmethod
    def keys_dir(self) -> Path:
        """Where the store's own signing key lives when no key is configured."""

    @abstractmethod
    def record(self, record: PackRecord) -> LedgerEntry:
        """Index a written pack and append it to the ledger."""

    @abstractmethod
    def packs(self, repository: str | None = None) -> list[PackRecord]:
        """Indexed packs, oldest first, optionally of one repository."""

    @abstractmethod
    def read_pack_file(self, record: PackRecord, path: str) -> bytes | None:
        """One file of an indexed pack by its pack-relative path (e.g.
        `evidence/deps/vulnerabilities.json`); None when the pack does not hold it."""

    @abstractmethod
    def ledger(self) -> list[LedgerEntry]:
        """Every ledger entry in order."""

    @abstractmethod
    def verify_ledger(self) -> list[str]:
        """Problems in the ledger's hash chain; empty when it holds."""
