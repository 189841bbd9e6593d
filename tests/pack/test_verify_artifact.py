"""`evidencepack verify-artifact`, the gate before a deploy: exit 0, 1 with one reason, or 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from evidencepack.cli import main
from evidencepack.pack.signing import generate_keypair
from evidencepack.run import RunOutcome

from .conftest import BUILDER


def gate(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["verify-artifact", *(str(a) for a in args)],
                              catch_exceptions=False)


def _repo(outcome: RunOutcome) -> Path:
    assert outcome.store is not None
    return outcome.store.root.parent / "github-hardened"


def _failed(result: Result, reason: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert reason in lines[0], lines[0]
    assert result.stdout == ""


def test_the_built_artifact_passes_with_every_expectation(artifact_pack: RunOutcome) -> None:
    app = _repo(artifact_pack) / "dist" / "app.tar.gz"
    assert artifact_pack.store is not None
    key = artifact_pack.store.keys_dir / "signing.pub"
    for pack in (artifact_pack.pack.directory, artifact_pack.pack.archive):
        result = gate(app, "--pack", pack, "--key", key, "--repository", "acme/shop",
                      "--branch", "main", "--builder", BUILDER)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"OK {app}: sha256 ")
        assert f"artifact dist/app.tar.gz of pack {artifact_pack.pack.pack_id}" in result.stdout
        assert "blob signature evidence/artifacts/dist/app.tar.gz.sig verifies" in result.stdout
    any_ref = gate(app, "--pack", artifact_pack.pack.directory, "--builder",
                   BUILDER.split("@")[0], "--format", "json")
    assert any_ref.exit_code == 0
    record = json.loads(any_ref.stdout)
    assert record["ok"] is True and record["builder"] == BUILDER
    assert record["commit"] == artifact_pack.pack.content.subject.commit


def test_a_changed_artifact_fails(artifact_pack: RunOutcome, tmp_path: Path) -> None:
    changed = tmp_path / "dist" / "app.tar.gz"
    changed.parent.mkdir()
    changed.write_bytes((_repo(artifact_pack) / "dist" / "app.tar.gz").read_bytes()[:-1] + b"X")
    _failed(gate(changed, "--pack", artifact_pack.pack.directory),
            "differs from the signed artifact dist/app.tar.gz")
    other = tmp_path / "other.bin"
    other.write_bytes(b"never built")
    _failed(gate(other, "--pack", artifact_pack.pack.directory),
            "is not among the 2 artifact(s) signed in pack")


def test_the_wrong_key_fails(artifact_pack: RunOutcome, tmp_path: Path) -> None:
    pair = generate_keypair(tmp_path / "other.key", tmp_path / "other.pub")
    _failed(gate(_repo(artifact_pack) / "dist" / "app.tar.gz", "--pack",
                 artifact_pack.pack.directory, "--key", pair.public),
            "the signature does not verify with key")


@pytest.mark.parametrize(("option", "value", "reason"), [
    ("--repository", "acme/other", "built from repository acme/shop, expected acme/other"),
    ("--branch", "release", "built from ref refs/heads/main, expected branch release"),
    ("--builder", "https://github.com/acme/shop/.github/workflows/evil.yml",
     f"built by {BUILDER}, expected builder"),
])
def test_wrong_provenance_expectations_fail(option: str, value: str, reason: str,
                                            artifact_pack: RunOutcome) -> None:
    _failed(gate(_repo(artifact_pack) / "dist" / "notes.txt", "--pack",
                 artifact_pack.pack.directory, option, value), reason)


def test_a_tampered_pack_fails(artifact_pack: RunOutcome, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(artifact_pack.pack.directory, pack)
    provenance = pack / "evidence" / "artifacts" / "dist" / "notes.txt.intoto.dsse.json"
    provenance.write_text(provenance.read_text().replace('"payload"', '"payload" '))
    _failed(gate(_repo(artifact_pack) / "dist" / "notes.txt", "--pack", pack),
            "does not verify: evidence/artifacts/dist/notes.txt.intoto.dsse.json: content changed")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(artifact_pack.pack.archive.read_bytes()[:300])
    _failed(gate(_repo(artifact_pack) / "dist" / "notes.txt", "--pack", broken),
            "the pack does not verify")


@pytest.mark.parametrize(("content", "reason"), [
    (b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMat',
     "not valid JSON"),
    (b"\x00\xff garbage", "not valid JSON"),
    (b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}',
     "no 'verificationMaterial'"),
])
def test_a_truncated_or_garbled_bundle_fails(content: bytes, reason: str,
                                             artifact_pack: RunOutcome, tmp_path: Path) -> None:
    bundle = tmp_path / "app.sigstore.json"
    bundle.write_bytes(content)
    _failed(gate(_repo(artifact_pack) / "dist" / "app.tar.gz", "--pack",
                 artifact_pack.pack.directory, "--bundle", bundle), reason)


def test_unusable_input_exits_2(artifact_pack: RunOutcome, tmp_path: Path) -> None:
    app = _repo(artifact_pack) / "dist" / "app.tar.gz"
    for args in ((tmp_path / "missing.bin", "--pack", artifact_pack.pack.directory),
                 (app, "--pack", tmp_path / "no-pack"),
                 (app, "--pack", artifact_pack.pack.directory, "--bundle", tmp_path / "nope"),
                 (app, "--pack", artifact_pack.pack.directory, "--key", tmp_path / "nope.pub"),
                 (_repo(artifact_pack) / "dist", "--pack", artifact_pack.pack.directory)):
        result = gate(*args)
        assert result.exit_code == 2, result.output
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.output
    missing_pack = gate(app)
    assert missing_pack.exit_code == 2


def test_a_signed_pack_naming_an_artifact_outside_itself_is_refused(
    artifact_pack: RunOutcome, tmp_path: Path
) -> None:
    """A pack whose signer lists `../../x`: the gate must not read outside the pack."""
    import base64
    import hashlib

    from evidencepack.pack.dsse import envelope_text, sign_envelope
    from evidencepack.pack.signing import load_signer

    assert artifact_pack.store is not None
    pack = tmp_path / "pack"
    shutil.copytree(artifact_pack.pack.directory, pack)
    target = tmp_path / "outside.bin"
    target.write_bytes(b"outside")
    digest = hashlib.sha256(b"outside").hexdigest()
    envelope = json.loads((pack / "attestation.dsse.json").read_text())
    stmt = json.loads(base64.b64decode(envelope["payload"]))
    stmt["predicate"]["artifacts"].append({"name": "../../outside.bin", "sha256": digest})
    stmt["subject"].append({"name": "../../outside.bin", "digest": {"sha256": digest}})
    signer = load_signer(artifact_pack.store.keys_dir / "signing.key")
    body = json.dumps(stmt, sort_keys=True).encode()
    (pack / "attestation.dsse.json").write_text(envelope_text(sign_envelope(body, signer)))
    _failed(gate(target, "--pack", pack), "lists the artifact under an unsafe name '../../outside.bin'")
