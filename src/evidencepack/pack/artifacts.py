"""The artifacts a run builds: found, hashed, attested (SLSA provenance v1) and signed.

For each artifact the pack holds, under `evidence/artifacts/`:

- `<name>.intoto.dsse.json`: a DSSE envelope of an in-toto Statement v1 whose predicate is
  SLSA provenance v1 (who built it, from which repository and commit, in which run);
- `<name>.sig`: base64 of a DER ECDSA P-256 signature over SHA-256 of the artifact's bytes,
  the file `cosign sign-blob --key` writes and `cosign verify-blob` and
  `openssl dgst -sha256 -verify` check;
- `signing.pub`: the public key both verify with.

Artifacts are read in blocks: a multi-gigabyte image is hashed, not held in memory.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Subject
from .dsse import STATEMENT_TYPE, envelope_text, sign_envelope
from .keyless import BundleSigner
from .signing import Signer, verify_digest_signature

ARTIFACTS_DIR = "evidence/artifacts"
PUBLIC_KEY = f"{ARTIFACTS_DIR}/signing.pub"
VERIFICATION = f"{ARTIFACTS_DIR}/verification.json"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://evidencepack.dev/provenance/ci-run/v1"
LOCAL_BUILDER = "https://evidencepack.dev/builders/local/v1"
"""The builder id of a run outside CI: a person's machine, which nothing vouches for."""
BLOCK = 1 << 20


@dataclass(frozen=True)
class Artifact:
    """One file the run built, as found on disk."""

    name: str
    """Path relative to the working directory, `/`-separated: the subject name."""
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class SignedArtifact:
    """An artifact with what the pack holds for it."""

    artifact: Artifact
    provenance: str
    """Pack path of the provenance envelope."""
    signature: str
    """Pack path of the blob signature (`.sig`) or Sigstore bundle (`.sigstore.json`)."""
    signature_verified: bool
    """The signature was checked against the artifact's digest after signing."""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.artifact.name,
            "size": self.artifact.size,
            "sha256": self.artifact.sha256,
            "provenance": self.provenance,
            "signature": self.signature,
            "signature_verified": self.signature_verified,
        }


def collect_artifacts(patterns: Sequence[str], cwd: Path) -> tuple[Artifact, ...]:
    """Expand `patterns` (globs, `**` included) relative to `cwd` and hash every match.

    Refused with an InputError: a pattern that matches nothing, a directory, anything that
    is not a regular file, and a path (or a symbolic link's target) outside `cwd`, since
    its name would not say where it came from.
    """
    root = cwd.resolve()
    found: dict[str, Path] = {}
    for pattern in patterns:
        # glob.glob, not Path.glob: it takes absolute patterns too and keeps names as given.
        matches = sorted(glob.glob(pattern, root_dir=cwd, recursive=True))  # noqa: PTH207
        if not matches:
            raise InputError(f"--artifact {pattern}: matches no file in {cwd}")
        for match in matches:
            path = cwd / match
            if path.is_dir():
                raise InputError(f"--artifact {pattern}: {match} is a directory; give its files "
                                 f"(e.g. {match.rstrip('/')}/*)")
            if not path.exists():
                raise InputError(f"--artifact {pattern}: {match} is a broken symbolic link")
            if not path.is_file():
                raise InputError(f"--artifact {pattern}: {match} is not a regular file")
            target = path.resolve()
            if not target.is_relative_to(root):
                raise InputError(f"--artifact {pattern}: {match} lies outside the working "
                                 f"directory {root}")
            name = Path(os.path.relpath(os.path.normpath(root / match), root)).as_posix()
            if name.startswith("../"):
                raise InputError(f"--artifact {pattern}: {match} lies outside the working "
                                 f"directory {root}")
            if any(ord(c) < 0x20 or c == "\x7f" for c in name):
                raise InputError(f"--artifact {pattern}: {name!r} has a control character in "
                                 "its name")
            found.setdefault(name, path)
    return tuple(hash_file(name, path) for name, path in sorted(found.items()))


def hash_file(name: str, path: Path) -> Artifact:
    """Size and SHA-256 of the file at `path`, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(BLOCK), b""):
                digest.update(block)
                size += len(block)
    except OSError as exc:
        raise InputError(f"{name}: cannot read the artifact: {exc.strerror}") from None
    return Artifact(name, path, size, digest.hexdigest())


def builder_id(subject: Subject, env: Mapping[str, str]) -> str:
    """Who built it: the workflow file at its ref on GitHub, the pipeline file on GitLab.

    These are the identities Fulcio certifies for the same run (`GITHUB_WORKFLOW_REF`,
    `CI_CONFIG_REF_URI`), so a keyless signature and the provenance name one builder.
    """
    if subject.platform == "github" and subject.workflow_ref:
        server = (subject.server_url or "https://github.com").rstrip("/")
        return f"{server}/{subject.workflow_ref}"
    if subject.platform == "gitlab" and env.get("GITLAB_CI"):
        config = env.get("CI_CONFIG_REF_URI")
        if config:
            return f"https://{config}"
        server = (subject.server_url or "https://gitlab.com").rstrip("/")
        if subject.repository and subject.branch:
            return f"{server}/{subject.repository}//.gitlab-ci.yml@refs/heads/{subject.branch}"
    return LOCAL_BUILDER


def provenance_statement(artifact: Artifact, subject: Subject, env: Mapping[str, str],
                         tool_version: str, finished_on: str) -> bytes:
    """An in-toto Statement v1 with a SLSA provenance v1 predicate for `artifact`."""
    external: dict[str, Any] = {"repository": subject.repository, "ref": subject.ref}
    if subject.workflow_ref:
        external["workflow"] = subject.workflow_ref
    internal = {k: v for k, v in (("platform", subject.platform),
                                  ("event_name", subject.event_name),
                                  ("run_id", subject.run_id),
                                  ("run_attempt", subject.run_attempt)) if v}
    source: dict[str, Any] = {"digest": {"gitCommit": subject.commit}}
    location = _source_uri(subject)
    if location:
        source["uri"] = location
    else:
        source["name"] = "source"
    metadata: dict[str, Any] = {"finishedOn": finished_on}
    if subject.run_url:
        metadata["invocationId"] = subject.run_url
    predicate = {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {k: v for k, v in external.items() if v is not None},
            "internalParameters": internal,
            "resolvedDependencies": [source],
        },
        "runDetails": {
            "builder": {"id": builder_id(subject, env),
                        "version": {"evidencepack": tool_version}},
            "metadata": metadata,
        },
    }
    stmt = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": artifact.name, "digest": {"sha256": artifact.sha256}}],
        "predicateType": SLSA_PROVENANCE_V1,
        "predicate": predicate,
    }
    return (json.dumps(stmt, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _source_uri(subject: Subject) -> str | None:
    if subject.server_url and subject.repository:
        base = f"git+{subject.server_url.rstrip('/')}/{subject.repository}"
    elif subject.remote_url:
        base = f"git+{subject.remote_url}"
    else:
        return None
    return f"{base}@{subject.ref}" if subject.ref else base


def blob_signature(artifact: Artifact, signer: Signer) -> bytes:
    """The `.sig` file: base64 of the DER signature over SHA-256 of the artifact."""
    return base64.b64encode(signer.sign_digest(bytes.fromhex(artifact.sha256)))


def sign_artifacts(
    artifacts: Sequence[Artifact],
    subject: Subject,
    env: Mapping[str, str],
    signer: Signer,
    tool_version: str,
    finished_on: str,
    bundle_signer: BundleSigner | None = None,
) -> tuple[tuple[SignedArtifact, ...], dict[str, bytes]]:
    """Provenance envelopes, blob signatures and the public key, as pack evidence files.

    With a `bundle_signer` (keyless), each artifact gets a Sigstore bundle
    (`<name>.sigstore.json`) instead of a `.sig`; the provenance is signed with `signer`.
    """
    files: dict[str, bytes] = {}
    signed = []
    for artifact in artifacts:
        body = provenance_statement(artifact, subject, env, tool_version, finished_on)
        provenance = f"{ARTIFACTS_DIR}/{artifact.name}.intoto.dsse.json"
        files[provenance] = envelope_text(sign_envelope(body, signer)).encode("ascii")
        digest = bytes.fromhex(artifact.sha256)
        if bundle_signer is not None:
            from .sigstore_bundle import BundleError, check_bundle  # x509 only with --keyless

            signature = f"{ARTIFACTS_DIR}/{artifact.name}.sigstore.json"
            files[signature] = bundle_signer.sign_digest(artifact.name, digest)
            try:
                check_bundle(files[signature], artifact.sha256)
                verified = True
            except BundleError:
                verified = False
        else:
            signature = f"{ARTIFACTS_DIR}/{artifact.name}.sig"
            files[signature] = blob_signature(artifact, signer)
            verified = verify_digest_signature(signer.public_key,
                                               base64.b64decode(files[signature]), digest)
        signed.append(SignedArtifact(artifact, provenance, signature, verified))
    if artifacts:
        files[PUBLIC_KEY] = signer.public_pem.encode("ascii")
    return tuple(signed), files

