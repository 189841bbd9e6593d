"""Writing an Evidence Pack: files, results, manifest, signed statement, archive."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import InputError, StoreError
from ..formats.html import render_report
from ..formats.oscal import assessment_results
from ..formats.results import results_document
from ..model import ChangeRecord, ControlResult, ControlSummary, PackContent, PackFile, Subject
from .archive import write_archive
from .artifacts import SignedArtifact
from .dsse import envelope_text, sign_envelope, statement
from .signing import Signer

MANIFEST = "manifest.json"
ATTESTATION = "attestation.dsse.json"
RESULTS = "controls/results.json"
OSCAL = "oscal/assessment-results.json"
REPORT = "report.html"
FORMAT_VERSION = 1


def json_bytes(value: Any) -> bytes:
    """The one JSON style of a pack: sorted keys, two-space indent, UTF-8, final newline."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def compact_json_bytes(value: Any) -> bytes:
    """Sorted, compact JSON for large machine-read evidence (the C encoder, no indent)."""
    return (json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            + "\n").encode()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class BuiltPack:
    pack_id: str
    directory: Path
    archive: Path
    keyid: str
    content: PackContent


def build_pack(
    *,
    packs_dir: Path,
    pack_id: str,
    created_at: datetime,
    tool_version: str,
    subject: Subject,
    policy_digest: str,
    policy_source: str | None,
    results: tuple[ControlResult, ...],
    evidence: Mapping[str, bytes],
    signer: Signer,
    changes: tuple[ChangeRecord, ...] = (),
    changes_note: str | None = None,
    artifacts: tuple[SignedArtifact, ...] = (),
) -> BuiltPack:
    """Write the pack directory and its archive under `packs_dir`, atomically.

    `changes` is the change record the report lists; `changes_note` says why there is none.
    `artifacts` become subjects of the signed statement besides the pack's files, and are
    listed in the manifest and the predicate (so `verify` knows they are not pack files).
    """
    final = packs_dir / pack_id
    staging = packs_dir / f".{pack_id}.partial"
    if final.exists():
        raise StoreError(f"{final}: a pack with this id already exists")
    stamp = created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        evidence_files = []
        for name in sorted(evidence):
            _check_name(name)
            data = evidence[name]
            _write(staging, name, data)
            evidence_files.append(PackFile(name, hashlib.sha256(data).hexdigest(), len(data)))
        content = PackContent(
            pack_id=pack_id,
            created_at=stamp,
            tool_version=tool_version,
            subject=subject,
            policy_digest=policy_digest,
            policy_source=policy_source,
            results=results,
            evidence_files=tuple(evidence_files),
            signer_keyid=signer.keyid,
            changes=changes,
            changes_note=changes_note,
        )
        _write(staging, RESULTS, json_bytes(results_document(content)))
        _write(staging, OSCAL, json_bytes(assessment_results(content)))
        _write(staging, REPORT, render_report(content).encode("utf-8"))
        files = _listing(staging)
        manifest = {
            "format": FORMAT_VERSION,
            "pack_id": pack_id,
            "created_at": stamp,
            "tool": {"name": "evidencepack", "version": tool_version},
            "subject": subject.to_json(),
            "policy": {"digest": policy_digest, "source": policy_source},
            "controls": {r.control_id: str(r.status) for r in results},
            "summary": ControlSummary.of(results).counts,
            "signer": {"keyid": signer.keyid, "public_key": signer.public_pem},
            "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in files],
        }
        if artifacts:
            manifest["artifacts"] = [a.to_json() for a in artifacts]
        _write(staging, MANIFEST, json_bytes(manifest))
        subjects = [(f.path, f.sha256) for f in _listing(staging)]
        clash = {a.artifact.name for a in artifacts} & {name for name, _ in subjects}
        if clash:
            raise InputError(f"artifact {sorted(clash)[0]} has the name of a file of the pack; "
                             "run from the folder the artifacts' paths are relative to")
        predicate: dict[str, Any] = {
            "pack_id": pack_id,
            "created_at": stamp,
            "repository": subject.repository,
            "commit": subject.commit,
            "run_url": subject.run_url,
            "tool_version": tool_version,
        }
        if artifacts:
            predicate["artifacts"] = [{"name": a.artifact.name, "sha256": a.artifact.sha256}
                                      for a in artifacts]
        envelope = sign_envelope(
            statement(subjects, predicate, [(a.artifact.name, a.artifact.sha256)
                                            for a in artifacts]),
            signer,
        )
        _write(staging, ATTESTATION, envelope_text(envelope).encode("ascii"))
        staging.replace(final)
    except InputError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise StoreError(f"cannot write pack {pack_id}: {exc.strerror}: {exc.filename}") from None
    archive = packs_dir / f"{pack_id}.tar.gz"
    try:
        write_archive(final, archive, int(created_at.timestamp()))
    except OSError as exc:
        raise StoreError(f"cannot write {archive}: {exc.strerror}") from None
    return BuiltPack(pack_id, final, archive, signer.keyid, content)


def _check_name(name: str) -> None:
    pure = PurePosixPath(name)
    if (
        pure.is_absolute()
        or ".." in pure.parts
        or not name.startswith("evidence/")
        or name != pure.as_posix()
    ):
        raise ValueError(f"evidence file name {name!r} is not a safe path under evidence/")


def _write(root: Path, name: str, data: bytes) -> None:
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _listing(root: Path) -> list[PackFile]:
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            out.append(PackFile(rel, sha256_file(path), path.stat().st_size))
    return out
