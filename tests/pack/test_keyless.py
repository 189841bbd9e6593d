"""Keyless signing up to the network: the token, the bundle in the pack (valid against
Sigstore's published schema), its offline verification, and the errors when it cannot work.

`CertificateAuthority` stands in for Fulcio and Rekor: it certifies a fresh key for an
identity the way Fulcio does (SAN = the workflow URI, the issuer in Fulcio's extension) and
adds a log entry, so what evidencepack does around the network call runs for real.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from evidencepack.cli import main
from evidencepack.errors import SigningKeyError
from evidencepack.pack.keyless import BundleSigner, identity_token, keyless_signer
from evidencepack.pack.sigstore_bundle import MEDIA_TYPE, BundleError, check_bundle
from evidencepack.run import RunOptions, RunOutcome, run

from .conftest import BUILDER, FIXED_NOW, GITHUB_ENV, write_artifacts

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "data" / "schemas"
ISSUER = "https://token.actions.githubusercontent.com"


class CertificateAuthority(BundleSigner):
    """Certifies one key for `identity` at FIXED_NOW, as Fulcio would, and logs each use."""

    def __init__(self, identity: str = BUILDER) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        ca_key = ec.generate_private_key(ec.SECP256R1())
        issuer_der = b"\x0c" + bytes([len(ISSUER)]) + ISSUER.encode()
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-fulcio")]))
            .public_key(self._key.public_key())
            .serial_number(1)
            .not_valid_before(FIXED_NOW - timedelta(minutes=1))
            .not_valid_after(FIXED_NOW + timedelta(minutes=9))
            .add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(identity)]), critical=True)
            .add_extension(x509.UnrecognizedExtension(
                x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), issuer_der), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.signed: list[str] = []

    def sign_digest(self, name: str, digest: bytes) -> bytes:
        self.signed.append(name)
        signature = self._key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        b64 = base64.b64encode
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        bundle = {
            "mediaType": MEDIA_TYPE,
            "verificationMaterial": {
                "certificate": {"rawBytes": b64(der).decode()},
                "tlogEntries": [{
                    "logIndex": str(1000 + len(self.signed)),
                    "logId": {"keyId": b64(hashlib.sha256(b"log").digest()).decode()},
                    "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                    "integratedTime": str(int(FIXED_NOW.timestamp())),
                    "inclusionPromise": {"signedEntryTimestamp": b64(b"set").decode()},
                    "inclusionProof": {
                        "logIndex": str(1000 + len(self.signed)),
                        "rootHash": b64(hashlib.sha256(b"root").digest()).decode(),
                        "treeSize": "5000",
                        "hashes": [b64(hashlib.sha256(b"sibling").digest()).decode()],
                        "checkpoint": {"envelope": "rekor.sigstore.dev - 1\n5000\n"},
                    },
                    "canonicalizedBody": b64(b"{}").decode(),
                }],
            },
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64(digest).decode()},
                "signature": b64(signature).decode(),
            },
        }
        return json.dumps(bundle).encode()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def bundle_validator() -> jsonschema.Draft4Validator:
    """Sigstore's published Bundle schema (protobuf-specs v0.5.0).

    Its generator writes `properties` with the JSON (lowerCamel) names but the `oneOf`
    `required` lists with the proto (snake_case) names, so no JSON bundle, not even one
    sigstore writes, passes as published. The names in those lists are mapped to the JSON
    names, and nothing else is changed.
    """
    schema = json.loads((SCHEMAS / "sigstore-Bundle.schema.json").read_text())

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: fix(v) for k, v in node.items()}
            if isinstance(node.get("oneOf"), list):
                out["oneOf"] = [{**alt, "required": [_camel(r) for r in alt["required"]]}
                                if isinstance(alt, dict) and "required" in alt else alt
                                for alt in node["oneOf"]]
            return out
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    fixed = fix(schema)
    resource = Resource.from_contents(fixed, default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource("urn:sigstore-bundle", resource)
    return jsonschema.Draft4Validator(fixed, registry=registry)


@pytest.fixture
def keyless_pack(fixture_repo: Callable[..., Path], tmp_path: Path,
                 ci_free_env: None) -> tuple[RunOutcome, Path, CertificateAuthority]:
    repo = fixture_repo("github-hardened")
    write_artifacts(repo)
    authority = CertificateAuthority()
    outcome = run(RunOptions(path=repo, store=tmp_path / "store", artifacts=("dist/*",),
                             cwd=repo, keyless=True),
                  env=GITHUB_ENV, clock=lambda: FIXED_NOW, bundle_signer=authority)
    return outcome, repo, authority


def test_keyless_run_writes_a_schema_valid_bundle_per_artifact(
    keyless_pack: tuple[RunOutcome, Path, CertificateAuthority],
) -> None:
    outcome, repo, authority = keyless_pack
    assert authority.signed == ["dist/app.tar.gz", "dist/notes.txt"]
    artifacts = outcome.pack.directory / "evidence" / "artifacts" / "dist"
    assert sorted(p.name for p in artifacts.iterdir()) == [
        "app.tar.gz.intoto.dsse.json", "app.tar.gz.sigstore.json",
        "notes.txt.intoto.dsse.json", "notes.txt.sigstore.json",
    ]
    validator = bundle_validator()
    for name in ("app.tar.gz", "notes.txt"):
        bundle = json.loads((artifacts / f"{name}.sigstore.json").read_text())
        validator.validate(bundle)
        assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
        digest = base64.b64decode(bundle["messageSignature"]["messageDigest"]["digest"])
        assert digest == hashlib.sha256((repo / "dist" / name).read_bytes()).digest()
    # The validator is not a rubber stamp: a bundle without its signature fails it.
    broken = json.loads((artifacts / "app.tar.gz.sigstore.json").read_text())
    del broken["messageSignature"]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)
    manifest = json.loads((outcome.pack.directory / "manifest.json").read_text())
    assert {a["signature"] for a in manifest["artifacts"]} == {
        "evidence/artifacts/dist/app.tar.gz.sigstore.json",
        "evidence/artifacts/dist/notes.txt.sigstore.json",
    }
    in1 = next(r for r in outcome.results if r.control_id == "IN-1")
    assert str(in1.status) == "pass" and "Sigstore bundle" in in1.rationale


def test_verify_artifact_checks_the_keyless_bundle_offline(
    keyless_pack: tuple[RunOutcome, Path, CertificateAuthority], tmp_path: Path,
) -> None:
    outcome, repo, _ = keyless_pack
    app = repo / "dist" / "app.tar.gz"
    ok = CliRunner().invoke(main, ["verify-artifact", str(app), "--pack",
                                   str(outcome.pack.directory), "--builder", BUILDER,
                                   "--repository", "acme/shop"])
    assert ok.exit_code == 0, ok.output
    assert f"Sigstore bundle signed by {BUILDER} (issuer {ISSUER}, log index 1001" in ok.stdout
    bundle = outcome.pack.directory / "evidence/artifacts/dist/app.tar.gz.sigstore.json"
    standalone = tmp_path / "app.sigstore.json"
    standalone.write_bytes(bundle.read_bytes())
    with_bundle = CliRunner().invoke(main, ["verify-artifact", str(app), "--pack",
                                            str(outcome.pack.directory), "--bundle",
                                            str(standalone)])
    assert with_bundle.exit_code == 0 and "; bundle signed by" in with_bundle.stdout
    wrong_repo = CliRunner().invoke(main, ["verify-artifact", str(repo / "dist" / "notes.txt"),
                                           "--pack", str(outcome.pack.directory), "--bundle",
                                           str(standalone)])
    assert wrong_repo.exit_code == 1
    assert "the bundle signs sha256" in wrong_repo.stderr


def test_the_offline_bundle_check_catches_each_defect() -> None:
    authority = CertificateAuthority()
    digest = hashlib.sha256(b"artifact").digest()
    good = json.loads(authority.sign_digest("a", digest))
    assert check_bundle(json.dumps(good).encode(), digest.hex()).san == BUILDER

    def broken(change: Callable[[dict[str, Any]], None]) -> bytes:
        bundle = json.loads(json.dumps(good))
        change(bundle)
        return json.dumps(bundle).encode()

    other = CertificateAuthority().sign_digest("a", digest)
    cases = {
        "does not verify with its certificate's key": broken(lambda b: b["messageSignature"]
                                                             .update(signature=json.loads(other)
                                                                     ["messageSignature"]
                                                                     ["signature"])),
        "no transparency log entry": broken(lambda b: b["verificationMaterial"]
                                            .update(tlogEntries=[])),
        "outside the certificate's validity": broken(
            lambda b: b["verificationMaterial"]["tlogEntries"][0]
            .update(integratedTime=str(int(FIXED_NOW.timestamp()) + 3600))),
        "no signing certificate": broken(lambda b: b["verificationMaterial"].pop("certificate")),
        "unsupported bundle mediaType": broken(lambda b: b.update(mediaType="text/plain")),
        "not a DER X.509 certificate": broken(
            lambda b: b["verificationMaterial"]["certificate"].update(rawBytes="AAAA")),
    }
    for reason, data in cases.items():
        with pytest.raises(BundleError, match=re.escape(reason)):
            check_bundle(data, digest.hex())


def test_the_github_token_service_is_asked_for_a_sigstore_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"value": "eyJ.token"})

    env = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/idtoken?api-version=2.0",
           "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "runner-bearer"}
    assert identity_token(env, httpx.MockTransport(answer)) == "eyJ.token"
    assert seen[0].url.params["audience"] == "sigstore"
    assert seen[0].url.params["api-version"] == "2.0"
    assert seen[0].headers["authorization"] == "bearer runner-bearer"
    assert identity_token({"SIGSTORE_ID_TOKEN": "gitlab.jwt", **env}) == "gitlab.jwt"
    refused = httpx.MockTransport(lambda r: httpx.Response(403, text="no"))
    with pytest.raises(SigningKeyError, match="HTTP 403"):
        identity_token(env, refused)
    empty = httpx.MockTransport(lambda r: httpx.Response(200, json={}))
    with pytest.raises(SigningKeyError, match="sent no token"):
        identity_token(env, empty)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route", request=request)

    with pytest.raises(SigningKeyError, match="cannot reach"):
        identity_token(env, httpx.MockTransport(unreachable))


def _keyless_cli(repo: Path, tmp_path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", str(repo), "--store", str(tmp_path / "s"),
                                       "--artifact", "dist/*", "--keyless"],
                                catch_exceptions=False)
    return result.exit_code, result.stderr


def test_keyless_without_a_token_or_the_library_exits_2_with_one_line(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = fixture_repo("github-hardened")
    write_artifacts(repo)
    monkeypatch.chdir(repo)
    for name in ("SIGSTORE_ID_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL",
                 "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "sigstore", None)  # as if the extra were not installed
    code, err = _keyless_cli(repo, tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "needs the sigstore library (pip install 'evidencepack[keyless]')" in err
    with pytest.raises(SigningKeyError, match="needs the sigstore library"):
        keyless_signer({"SIGSTORE_ID_TOKEN": "x"})
    monkeypatch.delitem(sys.modules, "sigstore")
    pytest.importorskip("sigstore")
    code, err = _keyless_cli(repo, tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "needs an OIDC identity token" in err and "id-token: write" in err


def test_sigstore_unreachable_is_a_one_line_signing_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sigstore")
    from sigstore.models import ClientTrustConfig

    from evidencepack.pack.keyless import SigstoreBundleSigner

    def offline(cls: type, offline: bool = False) -> ClientTrustConfig:
        raise OSError("Network is unreachable\nsecond line")

    # The trust root is the first thing the library fetches; no network stops it there.
    monkeypatch.setattr(ClientTrustConfig, "production", classmethod(offline))
    with pytest.raises(SigningKeyError) as caught:
        SigstoreBundleSigner("eyJ.token").sign_digest("dist/app.tar.gz", b"\x00" * 32)
    assert caught.value.message == (
        "keyless signing of dist/app.tar.gz failed (Fulcio/Rekor unreachable, or the token was "
        "refused): OSError: Network is unreachable"
    )
