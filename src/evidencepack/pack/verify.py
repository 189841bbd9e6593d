"""Verifying an Evidence Pack: signature, every digest, nothing missing or extra."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ..errors import InputError, SigningKeyError
from .archive import extract_archive
from .build import ATTESTATION, MANIFEST, sha256_file
from .dsse import PAYLOAD_TYPE, STATEMENT_TYPE, EnvelopeError, pae, parse_envelope
from .signing import keyid_of, load_public_key, parse_public_key, verify_signature


@dataclass(frozen=True)
class VerifyResult:
    """What `verify` found; the pack holds only when `problems` is empty."""

    pack: str
    pack_id: str | None
    keyid: str | None
    key_pinned: bool
    """True when the caller gave the public key; False when the pack's own key was used."""
    files_checked: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_pack(path: Path, key: Path | None = None) -> VerifyResult:
    """Verify a pack directory or its `.tar.gz`."""
    public_key = load_public_key(key) if key is not None else None
    if path.is_dir():
        return _verify_dir(path, public_key, str(path))
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
        with tempfile.TemporaryDirectory(prefix="evidencepack-verify-") as tmp:
            directory = extract_archive(path, Path(tmp))
            return _verify_dir(directory, public_key, str(path))
    if not path.exists():
        raise InputError(f"{path}: no such pack")
    raise InputError(f"{path}: not a pack directory or .tar.gz archive")


def _verify_dir(root: Path, given_key: ec.EllipticCurvePublicKey | None, label: str) -> VerifyResult:
    problems: list[str] = []
    attestation = root / ATTESTATION
    manifest = _read_manifest(root / MANIFEST, problems)
    pack_id = manifest.get("pack_id") if isinstance(manifest.get("pack_id"), str) else None
    if not attestation.is_file() or attestation.is_symlink():
        return VerifyResult(label, pack_id, None, given_key is not None, 0,
                            (f"{ATTESTATION} is missing: the pack is not signed",))
    try:
        envelope = parse_envelope(attestation.read_bytes())
    except EnvelopeError as exc:
        return VerifyResult(label, pack_id, None, given_key is not None, 0,
                            (f"{ATTESTATION}: {exc}",))
    if envelope.payload_type != PAYLOAD_TYPE:
        problems.append(f"{ATTESTATION}: payloadType is {envelope.payload_type!r}, "
                        f"expected {PAYLOAD_TYPE!r}")
    key = given_key
    if key is None:
        key = _embedded_key(manifest, problems)
    keyid = keyid_of(key) if key is not None else None
    if key is not None:
        signed = pae(envelope.payload_type, envelope.body)
        if not any(verify_signature(key, sig, signed) for _, sig in envelope.signatures):
            problems.append(f"{ATTESTATION}: the signature does not verify with key {keyid}")
    expected = _subjects(envelope.body, problems)
    for name, digest in artifact_subjects(envelope.body).items():
        # Artifacts built by the run are signed subjects too, but live outside the pack.
        if expected.get(name) == digest:
            del expected[name]
    checked = 0
    actual: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            problems.append(f"{rel}: a symbolic link inside the pack")
            continue
        if not path.is_file() or rel == ATTESTATION:
            continue
        actual[rel] = sha256_file(path)
    for name, digest in sorted(expected.items()):
        if name not in actual:
            problems.append(f"{name}: missing from the pack")
        elif actual[name] != digest:
            problems.append(f"{name}: content changed (sha256 {actual[name][:16]}…, "
                            f"signed {digest[:16]}…)")
        else:
            checked += 1
    for name in sorted(set(actual) - set(expected)):
        problems.append(f"{name}: extra file not covered by the signature")
    listed = manifest.get("files")
    if isinstance(listed, list):
        in_manifest = {f.get("path"): f.get("sha256") for f in listed if isinstance(f, dict)}
        signed_files = {k: v for k, v in expected.items() if k != MANIFEST}
        if in_manifest != signed_files:
            problems.append(f"{MANIFEST}: its file list differs from the signed statement")
    elif manifest:
        problems.append(f"{MANIFEST}: has no file list")
    return VerifyResult(label, pack_id, keyid, given_key is not None, checked, tuple(problems))


def artifact_subjects(body: bytes) -> dict[str, str]:
    """The artifacts a signed pack statement lists in its predicate: name -> sha256."""
    try:
        stmt = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    predicate = stmt.get("predicate") if isinstance(stmt, dict) else None
    listed = predicate.get("artifacts") if isinstance(predicate, dict) else None
    out: dict[str, str] = {}
    for item in listed if isinstance(listed, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str) \
                and isinstance(item.get("sha256"), str):
            out[item["name"]] = item["sha256"]
    return out


def _read_manifest(path: Path, problems: list[str]) -> dict[str, Any]:
    if not path.is_file() or path.is_symlink():
        # Reported as missing by the digest check, since it is a signed subject.
        return {}
    try:
        value = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        problems.append(f"{MANIFEST}: not valid JSON")
        return {}
    return value if isinstance(value, dict) else {}


def _embedded_key(manifest: dict[str, Any], problems: list[str]) -> ec.EllipticCurvePublicKey | None:
    signer = manifest.get("signer")
    pem = signer.get("public_key") if isinstance(signer, dict) else None
    if not isinstance(pem, str):
        problems.append(f"{MANIFEST}: no signer public key; pass --key to verify the signature")
        return None
    try:
        return parse_public_key(pem.encode("ascii", "replace"), f"{MANIFEST} signer")
    except SigningKeyError as exc:
        problems.append(exc.message)
        return None


def _subjects(body: bytes, problems: list[str]) -> dict[str, str]:
    try:
        stmt = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        problems.append(f"{ATTESTATION}: the payload is not a JSON statement")
        return {}
    if not isinstance(stmt, dict) or stmt.get("_type") != STATEMENT_TYPE:
        problems.append(f"{ATTESTATION}: the payload is not an in-toto Statement v1")
        return {}
    out: dict[str, str] = {}
    for item in stmt.get("subject") or []:
        name = item.get("name") if isinstance(item, dict) else None
        digest = (item.get("digest") or {}).get("sha256") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(digest, str):
            problems.append(f"{ATTESTATION}: a statement subject has no name or sha256")
            continue
        out[name] = digest
    if not out:
        problems.append(f"{ATTESTATION}: the statement lists no files")
    return out

