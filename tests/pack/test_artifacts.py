"""Artifacts in the pack: subjects, SLSA provenance and blob signatures, each checked by
implementations that are not ours (OpenSSL, securesystemslib, in-toto-attestation)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

from evidencepack.cli import main
from evidencepack.errors import InputError
from evidencepack.pack.artifacts import LOCAL_BUILDER, builder_id, collect_artifacts
from evidencepack.pack.verify import verify_pack
from evidencepack.run import RunOptions, RunOutcome, run
from evidencepack.sources.ci import build_subject
from evidencepack.sources.repository import open_checkout

from .conftest import BUILDER, FIXED_NOW

PEER_VERIFIER = Path(__file__).resolve().parents[3] / "shared" / "peers" / "verify_cosign_blob.sh"


def _pack(outcome: RunOutcome) -> Path:
    return outcome.pack.directory


def _statement(outcome: RunOutcome) -> dict[str, object]:
    envelope = json.loads((_pack(outcome) / "attestation.dsse.json").read_text())
    value: dict[str, object] = json.loads(base64.b64decode(envelope["payload"]))
    return value


def test_artifacts_are_subjects_of_the_signed_statement_and_in_the_manifest(
    artifact_pack: RunOutcome,
) -> None:
    stmt = _statement(artifact_pack)
    subjects = {s["name"]: s["digest"]["sha256"] for s in stmt["subject"]}  # type: ignore[attr-defined]
    manifest = json.loads((_pack(artifact_pack) / "manifest.json").read_text())
    listed = {a["name"]: a for a in manifest["artifacts"]}
    assert sorted(listed) == ["dist/app.tar.gz", "dist/notes.txt"]
    app = listed["dist/app.tar.gz"]
    assert app["size"] == 256 * 3 * 4096 + 4
    expected = hashlib.sha256(bytes(range(256)) * (3 * 4096) + b"tail").hexdigest()
    assert app["sha256"] == expected == subjects["dist/app.tar.gz"]
    assert app["provenance"] == "evidence/artifacts/dist/app.tar.gz.intoto.dsse.json"
    assert app["signature"] == "evidence/artifacts/dist/app.tar.gz.sig"
    assert subjects["dist/notes.txt"] == hashlib.sha256(b"release notes\n").hexdigest()
    # The pack's own files are subjects too, and the pack still verifies as a whole.
    assert "manifest.json" in subjects
    result = verify_pack(_pack(artifact_pack))
    assert result.ok, result.problems
    assert result.files_checked == len(subjects) - 2


def test_openssl_and_the_cosign_stand_in_verify_the_blob_signatures(
    artifact_pack: RunOutcome, tmp_path: Path
) -> None:
    pack = _pack(artifact_pack)
    public = pack / "evidence" / "artifacts" / "signing.pub"
    for name in ("dist/app.tar.gz", "dist/notes.txt"):
        blob = _checkout(artifact_pack) / name
        sig_b64 = pack / "evidence" / "artifacts" / f"{name}.sig"
        der = tmp_path / "sig.der"
        der.write_bytes(base64.b64decode(sig_b64.read_bytes()))
        good = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(public),
                               "-signature", str(der), str(blob)], capture_output=True, text=True,
                              check=False)
        assert good.returncode == 0 and "Verified OK" in good.stdout, good.stderr
        if PEER_VERIFIER.exists():
            peer = subprocess.run(["bash", str(PEER_VERIFIER), str(public), str(sig_b64),
                                   str(blob)], capture_output=True, text=True, check=False)
            assert peer.returncode == 0 and "Verified OK" in peer.stdout, peer.stderr
        changed = tmp_path / "changed"
        changed.write_bytes(blob.read_bytes() + b"x")
        bad = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(public),
                              "-signature", str(der), str(changed)], capture_output=True,
                             text=True, check=False)
        assert bad.returncode != 0


def _checkout(outcome: RunOutcome) -> Path:
    # The fixture builds the repository beside the store.
    assert outcome.store is not None
    return outcome.store.root.parent / "github-hardened"


def _provenance(outcome: RunOutcome, name: str) -> dict[str, object]:
    path = _pack(outcome) / "evidence" / "artifacts" / f"{name}.intoto.dsse.json"
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_securesystemslib_verifies_the_provenance_envelopes(artifact_pack: RunOutcome) -> None:
    public = load_pem_public_key((_pack(artifact_pack) / "evidence" / "artifacts" /
                                  "signing.pub").read_bytes())
    for name in ("dist/app.tar.gz", "dist/notes.txt"):
        raw = _provenance(artifact_pack, name)
        keyid = raw["signatures"][0]["keyid"]  # type: ignore[index]
        key = SSlibKey.from_crypto(public, keyid=keyid, scheme="ecdsa-sha2-nistp256")
        assert list(Envelope.from_dict(copy.deepcopy(raw)).verify([key], 1)) == [keyid]
        forged = copy.deepcopy(raw)
        body = base64.b64decode(str(forged["payload"])).replace(b"acme/shop", b"evil/shop")
        forged["payload"] = base64.b64encode(body).decode()
        with pytest.raises(Exception, match="signature"):
            Envelope.from_dict(forged).verify([key], 1)


def test_in_toto_attestation_validates_the_slsa_provenance(artifact_pack: RunOutcome) -> None:
    raw = _provenance(artifact_pack, "dist/app.tar.gz")
    payload = base64.b64decode(str(raw["payload"]))
    message = json_format.Parse(payload, statement_pb2.Statement())
    Statement.copy_from_pb(message).validate()
    assert message.predicate_type == "https://slsa.dev/provenance/v1"
    # The predicate parses strictly (no unknown field) as SLSA provenance v1.
    predicate = json_format.MessageToDict(message.predicate)
    provenance = json_format.ParseDict(predicate, provenance_pb2.Provenance())
    build = provenance.build_definition
    assert build.build_type and build.external_parameters["repository"] == "acme/shop"
    assert build.external_parameters["ref"] == "refs/heads/main"
    source = build.resolved_dependencies[0]
    assert source.uri == "git+https://github.com/acme/shop@refs/heads/main"
    assert source.digest["gitCommit"] == artifact_pack.pack.content.subject.commit
    assert provenance.run_details.builder.id == BUILDER
    assert provenance.run_details.metadata.invocation_id == \
        "https://github.com/acme/shop/actions/runs/4242/attempts/1"
    subject = message.subject[0]
    assert subject.name == "dist/app.tar.gz"
    assert subject.digest["sha256"] == hashlib.sha256(
        (_checkout(artifact_pack) / "dist/app.tar.gz").read_bytes()).hexdigest()


def test_builder_ids_from_the_ci_environment(make_repo: Callable[..., Path]) -> None:
    checkout = open_checkout(make_repo({"a.txt": "a"}))
    github, _ = build_subject(checkout, {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "1",
                                         "GITHUB_WORKFLOW_REF": "acme/shop/.github/workflows/"
                                         "release.yml@refs/tags/v1"})
    assert builder_id(github, {}) == \
        "https://github.com/acme/shop/.github/workflows/release.yml@refs/tags/v1"
    gitlab_env = {"GITLAB_CI": "true", "CI_PIPELINE_ID": "7", "CI_PROJECT_PATH": "acme/shop",
                  "CI_COMMIT_BRANCH": "main", "CI_SERVER_URL": "https://gitlab.example.com"}
    gitlab, _ = build_subject(checkout, gitlab_env)
    assert builder_id(gitlab, gitlab_env) == \
        "https://gitlab.example.com/acme/shop//.gitlab-ci.yml@refs/heads/main"
    with_uri = {**gitlab_env, "CI_CONFIG_REF_URI":
                "gitlab.example.com/acme/shop//.gitlab-ci.yml@refs/heads/main"}
    assert builder_id(gitlab, with_uri) == \
        "https://gitlab.example.com/acme/shop//.gitlab-ci.yml@refs/heads/main"
    local, _ = build_subject(checkout, {})
    assert builder_id(local, {}) == LOCAL_BUILDER


def test_globs_and_the_environment_variable_select_artifacts(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = fixture_repo("github-hardened")
    (repo / "dist" / "sub").mkdir(parents=True)
    (repo / "dist" / "a.whl").write_bytes(b"a")
    (repo / "dist" / "sub" / "b.whl").write_bytes(b"b")
    (repo / "dist" / "c.txt").write_bytes(b"c")
    found = collect_artifacts(["dist/**/*.whl", "dist/a.whl"], repo)
    assert [a.name for a in found] == ["dist/a.whl", "dist/sub/b.whl"]
    monkeypatch.chdir(repo)
    monkeypatch.setenv("EVIDENCEPACK_ARTIFACTS", "dist/*.whl\n  dist/c.txt")
    result = CliRunner().invoke(main, ["run", str(repo), "--store", str(tmp_path / "s"),
                                       "--format", "json"], catch_exceptions=False)
    manifest = json.loads((Path(json.loads(result.stdout)["pack"]) / "manifest.json").read_text())
    assert [a["name"] for a in manifest["artifacts"]] == ["dist/a.whl", "dist/c.txt"]
    printed = json.loads(result.stdout)["artifacts"]
    assert [(a["name"], a["signature_verified"]) for a in printed] == \
        [("dist/a.whl", True), ("dist/c.txt", True)]
    assert json.loads(result.stdout)["controls"]["IN-1"] == "pass"


def _refused(repo: Path, tmp_path: Path, *patterns: str) -> str:
    result = CliRunner().invoke(main, ["run", str(repo), "--store", str(tmp_path / "s"),
                                       *(x for p in patterns for x in ("--artifact", p))],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "s" / "packs").exists() or not any((tmp_path / "s" / "packs").iterdir())
    return lines[0]


def test_bad_artifacts_are_refused_with_one_line_and_no_pack(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = fixture_repo("github-hardened")
    monkeypatch.chdir(repo)
    (repo / "dist").mkdir()
    (repo / "dist" / "ok.bin").write_bytes(b"ok")
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"secret")
    assert "matches no file" in _refused(repo, tmp_path, "build/*.tar.gz")
    assert "matches no file" in _refused(repo, tmp_path, "dist/ok.bin", "missing.bin")
    assert "is a directory" in _refused(repo, tmp_path, "dist")
    (repo / "dist" / "escape.bin").symlink_to(outside)
    assert "outside the working directory" in _refused(repo, tmp_path, "dist/escape.bin")
    (repo / "dist" / "escape.bin").unlink()
    (repo / "dist" / "dangling").symlink_to(tmp_path / "nowhere")
    assert "broken symbolic link" in _refused(repo, tmp_path, "dist/dangling")
    (repo / "dist" / "dangling").unlink()
    assert "outside the working directory" in _refused(repo, tmp_path, str(outside))
    assert "outside the working directory" in _refused(repo, tmp_path, "../outside.bin")


def test_a_symbolic_link_inside_the_tree_is_signed_under_its_own_name(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None,
) -> None:
    repo = fixture_repo("github-hardened")
    (repo / "build").mkdir()
    (repo / "build" / "app-1.0.bin").write_bytes(b"binary")
    (repo / "latest.bin").symlink_to(repo / "build" / "app-1.0.bin")
    found = collect_artifacts(["latest.bin"], repo)
    assert [(a.name, a.sha256) for a in found] == \
        [("latest.bin", hashlib.sha256(b"binary").hexdigest())]


def test_an_artifact_named_like_a_pack_file_is_refused(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None,
) -> None:
    repo = fixture_repo("github-hardened")
    (repo / "manifest.json").write_text("{}")
    with pytest.raises(InputError, match="name of a file of the pack"):
        run(RunOptions(path=repo, store=tmp_path / "store", artifacts=("manifest.json",),
                       cwd=repo), env={}, clock=lambda: FIXED_NOW)
    assert not any(p for p in (tmp_path / "store" / "packs").iterdir()
                   if not p.name.startswith("."))


def test_the_archive_of_a_pack_with_artifacts_verifies(artifact_pack: RunOutcome,
                                                       tmp_path: Path) -> None:
    result = verify_pack(artifact_pack.pack.archive)
    assert result.ok, result.problems
    copy_dir = tmp_path / "copy"
    shutil.copytree(_pack(artifact_pack), copy_dir)
    (copy_dir / "evidence" / "artifacts" / "dist" / "notes.txt.sig").write_text("AAAA")
    assert not verify_pack(copy_dir).ok


def test_in_toto_attestation_validates_the_pack_statement_with_artifacts(
    artifact_pack: RunOutcome,
) -> None:
    envelope = json.loads((_pack(artifact_pack) / "attestation.dsse.json").read_text())
    message = json_format.Parse(base64.b64decode(envelope["payload"]), statement_pb2.Statement())
    Statement.copy_from_pb(message).validate()
    annotated = sorted(s.name for s in message.subject if s.annotations)
    assert annotated == ["dist/app.tar.gz", "dist/notes.txt"]
    assert all(json_format.MessageToDict(s.annotations) == {"evidencepack": "artifact"}
               for s in message.subject if s.annotations)


def test_a_control_character_in_an_artifact_name_is_refused(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None,
) -> None:
    repo = fixture_repo("github-hardened")
    (repo / "evil\nname.bin").write_bytes(b"x")
    with pytest.raises(InputError, match="control character"):
        collect_artifacts(["evil*"], repo)


def test_provenance_envelopes_match_the_published_dsse_schema(artifact_pack: RunOutcome) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[3] / "shared" / "data" / "schemas" /
                         "sigstore-dsse-Envelope.schema.json").read_text())
    for name in ("dist/app.tar.gz", "dist/notes.txt"):
        jsonschema.validate(_provenance(artifact_pack, name), schema)
