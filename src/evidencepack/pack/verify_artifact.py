"""The gate before a deploy: is this file an artifact the pack's run built and signed?

`verify_artifact` verifies the pack (every digest and its signature), finds the file's
SHA-256 among the artifacts of the pack's signed statement, verifies the artifact's SLSA
provenance envelope with the same key, checks that the provenance names this digest and,
when asked, the expected repository, branch and builder, and checks the artifact's blob
signature or Sigstore bundle. Any mismatch is a failed check with one reason; unusable
input (no such file or pack) raises InputError.
"""

from __future__ import annotations

import base64
import binascii
import json
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ..errors import InputError, SigningKeyError, VerificationError
from .archive import extract_archive
from .artifacts import ARTIFACTS_DIR, SLSA_PROVENANCE_V1, hash_file
from .build import ATTESTATION, MANIFEST
from .dsse import PAYLOAD_TYPE, STATEMENT_TYPE, EnvelopeError, pae, parse_envelope
from .signing import (
    keyid_of,
    load_public_key,
    parse_public_key,
    verify_digest_signature,
    verify_signature,
)
from .sigstore_bundle import BundleError, BundleIdentity, check_bundle
from .verify import artifact_subjects, verify_pack

MAX_EVIDENCE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Expectations:
    """What the provenance must say, when the caller knows it."""

    repository: str | None = None
    """`owner/name`."""
    branch: str | None = None
    builder: str | None = None
    """The builder id; without `@ref` it matches the builder at any ref."""


@dataclass(frozen=True)
class ArtifactCheck:
    """The outcome of one verification: `ok`, and the one-line reason either way."""

    file: str
    sha256: str
    ok: bool
    reason: str
    pack_id: str | None = None
    name: str | None = None
    keyid: str | None = None
    builder: str | None = None
    repository: str | None = None
    ref: str | None = None
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _FailedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify_artifact(file: Path, pack: Path, *, key: Path | None = None,
                    expect: Expectations | None = None, bundle: Path | None = None,
                    label: str | None = None) -> ArtifactCheck:
    """Check `file` against `pack` (a directory or .tar.gz); see the module docstring.

    `label` names the file in the reason (default: the path as given).
    """
    if not file.is_file():
        raise InputError(f"{file}: no such file" if not file.exists() else f"{file}: not a file")
    bundle_data = _read_bundle(bundle) if bundle is not None else None
    digest = hash_file(file.name, file).sha256
    return verify_artifacts([(label or str(file), digest)], pack, key=key, expect=expect,
                            bundle=bundle_data)[0]


def verify_artifacts(artifacts: Sequence[tuple[str, str]], pack: Path, *, key: Path | None = None,
                     expect: Expectations | None = None,
                     bundle: bytes | None = None) -> tuple[ArtifactCheck, ...]:
    """Check each (label, sha256) against `pack`, which is opened and verified once."""
    given_key = load_public_key(key) if key is not None else None
    try:
        with _pack_directory(pack) as root:
            pack_id, listed = _verified_pack(root, key)
            checks = []
            for label, digest in artifacts:
                try:
                    checks.append(_check(root, label, digest, given_key, expect or Expectations(),
                                         bundle, pack_id, listed))
                except _FailedError as failed:
                    checks.append(ArtifactCheck(label, digest, False, failed.reason))
            return tuple(checks)
    except _FailedError as failed:
        reason = failed.reason
    except VerificationError as exc:
        reason = f"the pack does not verify: {exc.message}"
    return tuple(ArtifactCheck(label, digest, False, reason) for label, digest in artifacts)


@contextmanager
def _pack_directory(pack: Path) -> Iterator[Path]:
    if pack.is_dir():
        yield pack
    elif pack.is_file() and pack.name.endswith((".tar.gz", ".tgz")):
        with tempfile.TemporaryDirectory(prefix="evidencepack-verify-") as tmp:
            yield extract_archive(pack, Path(tmp))
    elif not pack.exists():
        raise InputError(f"{pack}: no such pack")
    else:
        raise InputError(f"{pack}: not a pack directory or .tar.gz archive")


def _verified_pack(root: Path, key_path: Path | None) -> tuple[str, dict[str, str]]:
    """(pack id, signed artifact name -> sha256) of a pack that verifies; else `_FailedError`."""
    result = verify_pack(root, key_path)
    pack_id = result.pack_id or root.name
    if not result.ok:
        more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        raise _FailedError(f"pack {pack_id} does not verify: {result.problems[0]}{more}")
    body = parse_envelope((root / ATTESTATION).read_bytes()).body
    return pack_id, artifact_subjects(body)


def _check(root: Path, label: str, digest: str, given_key: ec.EllipticCurvePublicKey | None,
           expect: Expectations, bundle: bytes | None, pack_id: str,
           listed: dict[str, str]) -> ArtifactCheck:
    names = sorted(name for name, sha in listed.items() if sha == digest)
    if not names:
        base = Path(label).name
        same = sorted(n for n in listed if Path(n).name == base)
        if same:
            raise _FailedError(f"{label}: sha256 {digest[:16]}… differs from the signed artifact "
                          f"{same[0]} (sha256 {listed[same[0]][:16]}…) of pack {pack_id}: "
                          "the file was changed after it was built")
        raise _FailedError(f"{label}: sha256 {digest[:16]}… is not among the {len(listed)} "
                      f"artifact(s) signed in pack {pack_id}")
    name = names[0]
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or not name or name != pure.as_posix():
        # Signed, but by whoever made the pack: never let a name reach outside it.
        raise _FailedError(f"pack {pack_id} lists the artifact under an unsafe name {name!r}")
    key = given_key or _pack_key(root)
    keyid = keyid_of(key)
    predicate = _provenance(root, name, digest, key, keyid)
    build = predicate.get("buildDefinition") or {}
    external = build.get("externalParameters") or {} if isinstance(build, dict) else {}
    run = predicate.get("runDetails") or {}
    builder = (run.get("builder") or {}).get("id") if isinstance(run, dict) else None
    repository, ref = external.get("repository"), external.get("ref")
    commit = _commit(build)
    _expect(expect, repository, ref, builder, name)
    signature = _signature(root, name, digest, key, keyid, expect)
    pinned = "" if given_key else " (the pack's own key; pin the signer with --key)"
    if bundle is not None:
        identity = _bundle(bundle, digest, expect, "the given bundle")
        signature += f"; bundle signed by {identity.san} (log index {identity.log_index})"
    return ArtifactCheck(
        label, digest, True,
        f"OK {label}: sha256 {digest[:16]}… is artifact {name} of pack {pack_id}; provenance "
        f"signed by key {keyid[:16]}…{pinned}: built by {builder} from {repository}@"
        f"{(commit or '?')[:12]} ({ref}); {signature}",
        pack_id, name, keyid, builder if isinstance(builder, str) else None,
        repository if isinstance(repository, str) else None,
        ref if isinstance(ref, str) else None, commit,
    )


def _pack_key(root: Path) -> ec.EllipticCurvePublicKey:
    manifest = json.loads((root / MANIFEST).read_bytes())
    pem = (manifest.get("signer") or {}).get("public_key")
    try:
        return parse_public_key(str(pem).encode("ascii", "replace"), f"{MANIFEST} signer")
    except SigningKeyError as exc:
        raise _FailedError(exc.message) from None


def _provenance(root: Path, name: str, digest: str, key: ec.EllipticCurvePublicKey,
                keyid: str) -> dict[str, Any]:
    path = f"{ARTIFACTS_DIR}/{name}.intoto.dsse.json"
    data = _evidence(root, path, "provenance")
    try:
        envelope = parse_envelope(data)
    except EnvelopeError as exc:
        raise _FailedError(f"{path}: {exc}") from None
    if envelope.payload_type != PAYLOAD_TYPE:
        raise _FailedError(f"{path}: payloadType is {envelope.payload_type!r}")
    signed = pae(envelope.payload_type, envelope.body)
    if not any(verify_signature(key, sig, signed) for _, sig in envelope.signatures):
        raise _FailedError(f"{path}: the provenance signature does not verify with key {keyid[:16]}…")
    try:
        stmt = json.loads(envelope.body)
    except (ValueError, UnicodeDecodeError):
        raise _FailedError(f"{path}: the provenance is not JSON") from None
    if not isinstance(stmt, dict) or stmt.get("_type") != STATEMENT_TYPE \
            or stmt.get("predicateType") != SLSA_PROVENANCE_V1:
        raise _FailedError(f"{path}: not an in-toto statement of SLSA provenance v1")
    subjects = stmt.get("subject")
    if not isinstance(subjects, list):
        subjects = []
    if not any(isinstance(s, dict) and (s.get("digest") or {}).get("sha256") == digest
               for s in subjects):
        raise _FailedError(f"{path}: the provenance does not name sha256 {digest[:16]}…")
    predicate = stmt.get("predicate")
    if not isinstance(predicate, dict):
        raise _FailedError(f"{path}: the provenance has no predicate")
    return predicate


def _commit(build: Any) -> str | None:
    deps = build.get("resolvedDependencies") if isinstance(build, dict) else None
    for dep in deps if isinstance(deps, list) else ():
        commit = (dep.get("digest") or {}).get("gitCommit") if isinstance(dep, dict) else None
        if isinstance(commit, str):
            return commit
    return None


def _expect(expect: Expectations, repository: Any, ref: Any, builder: Any, name: str) -> None:
    if expect.repository is not None and repository != expect.repository:
        raise _FailedError(f"{name}: built from repository {repository}, expected {expect.repository}")
    if expect.branch is not None and ref not in (expect.branch, f"refs/heads/{expect.branch}"):
        raise _FailedError(f"{name}: built from ref {ref}, expected branch {expect.branch}")
    if expect.builder is not None and not _builder_matches(builder, expect.builder):
        raise _FailedError(f"{name}: built by {builder}, expected builder {expect.builder}")


def _builder_matches(actual: Any, expected: str) -> bool:
    if not isinstance(actual, str):
        return False
    return actual == expected or ("@" not in expected and actual.split("@", 1)[0] == expected)


def _signature(root: Path, name: str, digest: str, key: ec.EllipticCurvePublicKey, keyid: str,
               expect: Expectations) -> str:
    sig_path = f"{ARTIFACTS_DIR}/{name}.sig"
    bundle_path = f"{ARTIFACTS_DIR}/{name}.sigstore.json"
    if (root / sig_path).is_file():
        try:
            raw = base64.b64decode(_evidence(root, sig_path, "signature").strip(), validate=True)
        except binascii.Error:
            raise _FailedError(f"{sig_path}: not base64") from None
        if not verify_digest_signature(key, raw, bytes.fromhex(digest)):
            raise _FailedError(f"{sig_path}: the blob signature does not verify with key {keyid[:16]}…")
        return f"blob signature {sig_path} verifies"
    if (root / bundle_path).is_file():
        identity = _bundle(_evidence(root, bundle_path, "bundle"), digest, expect, bundle_path)
        return (f"Sigstore bundle signed by {identity.san} (issuer {identity.issuer}, log index "
                f"{identity.log_index}; chain and log inclusion not checked offline)")
    raise _FailedError(f"{name}: the pack holds no signature for the artifact")


def _bundle(data: bytes, digest: str, expect: Expectations, label: str) -> BundleIdentity:
    try:
        identity = check_bundle(data, digest)
    except BundleError as exc:
        raise _FailedError(f"{label}: {exc}") from None
    if expect.builder is not None and not _builder_matches(identity.san, expect.builder):
        raise _FailedError(f"{label}: signed by {identity.san}, expected builder {expect.builder}")
    if expect.repository is not None and f"/{expect.repository}/" not in identity.san + "/":
        raise _FailedError(f"{label}: signed by {identity.san}, not a workflow of "
                      f"{expect.repository}")
    return identity


def _evidence(root: Path, rel: str, what: str) -> bytes:
    path = root / rel
    if not path.is_file() or path.is_symlink():
        raise _FailedError(f"{rel}: the {what} is missing from the pack")
    if path.stat().st_size > MAX_EVIDENCE_BYTES:
        raise _FailedError(f"{rel}: the {what} is too large")
    return path.read_bytes()


def _read_bundle(path: Path) -> bytes:
    try:
        if not path.is_file():
            raise InputError(f"{path}: no such bundle file")
        return path.read_bytes()[:MAX_EVIDENCE_BYTES]
    except OSError as exc:
        raise InputError(f"{path}: cannot read the bundle: {exc.strerror}") from None
