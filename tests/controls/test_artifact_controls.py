"""IN-1 and IN-3 decided by the run's artifacts and by verifying them against the build's pack,
on real repositories and real packs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidencepack.cli import main
from evidencepack.errors import InputError
from evidencepack.model import ControlResult
from evidencepack.pack.keyless import BundleSigner
from evidencepack.pack.signing import generate_keypair
from evidencepack.run import RunOptions, RunOutcome, run

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)

STEPS_HEAD = """\
name: release
on:
  push:
    branches: [main]
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
"""
VERIFY_THEN_DEPLOY = STEPS_HEAD + """\
      - run: evidencepack verify-artifact dist/app.tar.gz --pack build-pack.tar.gz --repository acme/shop
      - run: aws s3 sync ./dist s3://acme-shop
"""
RUN_GATE_THEN_DEPLOY = STEPS_HEAD + """\
      - run: evidencepack run --artifact dist/app.tar.gz --verified-pack build-pack.tar.gz
      - run: aws s3 sync ./dist s3://acme-shop
"""
DEPLOY_ONLY = STEPS_HEAD + """\
      - run: aws s3 sync ./dist s3://acme-shop
"""
SIGN_ONLY = STEPS_HEAD.replace("    environment: production\n", "") + """\
      - run: cosign sign-blob --yes --bundle app.sigstore.json dist/app.tar.gz
"""
TESTS_ONLY = STEPS_HEAD.replace("    environment: production\n", "") + """\
      - run: python -m pytest -q
"""


def _repo(make_repo: Callable[..., Path], workflow: str, name: str = "repo") -> Path:
    repo = make_repo({".github/workflows/release.yml": workflow}, name=name)
    (repo / "dist").mkdir()
    (repo / "dist" / "app.tar.gz").write_bytes(b"the release build\n" * 1000)
    return repo


def _run(repo: Path, store: Path, *, artifacts: tuple[str, ...] = (),
         verified_pack: Path | None = None, bundle_signer: BundleSigner | None = None,
         seed: int = 1) -> RunOutcome:
    return run(RunOptions(path=repo, store=store, artifacts=artifacts, cwd=repo,
                          verified_pack=verified_pack, keyless=bundle_signer is not None),
               env={}, clock=lambda: NOW, random=lambda n: bytes([seed]) * n,
               bundle_signer=bundle_signer)


def _result(outcome: RunOutcome, control: str) -> ControlResult:
    return next(r for r in outcome.results if r.control_id == control)


class WrongDigestSigner(BundleSigner):
    """A broken signer: its bundle is for other bytes than the artifact."""

    def sign_digest(self, name: str, digest: bytes) -> bytes:
        return json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                           "verificationMaterial": {}, "messageSignature": {}}).encode()


@pytest.mark.usefixtures("ci_free_env")
class TestIN1:
    def test_pass_when_every_given_artifact_is_signed(self, make_repo: Callable[..., Path],
                                                      tmp_path: Path) -> None:
        repo = _repo(make_repo, DEPLOY_ONLY)
        result = _result(_run(repo, tmp_path / "s", artifacts=("dist/*",)), "IN-1")
        assert str(result.status) == "pass"
        assert result.rationale.startswith("the artifact of this run is signed (cosign blob")
        assert "evidence/artifacts/dist/app.tar.gz.sig" in result.evidence
        assert "evidence/artifacts/signing.pub" in result.evidence

    def test_fail_when_a_given_artifact_s_signature_does_not_verify(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        repo = _repo(make_repo, DEPLOY_ONLY)
        result = _result(_run(repo, tmp_path / "s", artifacts=("dist/*",),
                              bundle_signer=WrongDigestSigner()), "IN-1")
        assert str(result.status) == "fail"
        assert [f.rule for f in result.findings] == ["artifact-signature-invalid"]
        assert "dist/app.tar.gz" in result.findings[0].message

    def test_fail_when_the_pipeline_deploys_but_signs_nothing_and_none_given(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        result = _result(_run(_repo(make_repo, DEPLOY_ONLY), tmp_path / "s"), "IN-1")
        assert str(result.status) == "fail"
        assert [f.rule for f in result.findings] == ["no-signing"]

    def test_error_when_the_pipeline_signs_but_no_artifact_is_given(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        result = _result(_run(_repo(make_repo, SIGN_ONLY), tmp_path / "s"), "IN-1")
        assert str(result.status) == "error"
        assert "evidencepack run --artifact" in result.rationale

    def test_not_applicable_when_nothing_is_signed_published_or_deployed(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        result = _result(_run(_repo(make_repo, TESTS_ONLY), tmp_path / "s"), "IN-1")
        assert str(result.status) == "not_applicable"


def _build_pack(make_repo: Callable[..., Path], tmp_path: Path, workflow: str) -> tuple[Path, Path]:
    """The build run's archive, and the repository the deploy runs in."""
    repo = _repo(make_repo, workflow)
    build = _run(repo, tmp_path / "build-store", artifacts=("dist/app.tar.gz",), seed=7)
    return build.pack.archive, repo


@pytest.mark.usefixtures("ci_free_env")
class TestIN3:
    def test_pass_records_the_verification_of_the_deploy_run(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        archive, repo = _build_pack(make_repo, tmp_path, VERIFY_THEN_DEPLOY)
        deploy = _run(repo, tmp_path / "deploy-store", artifacts=("dist/app.tar.gz",),
                      verified_pack=archive, seed=8)
        result = _result(deploy, "IN-3")
        assert str(result.status) == "pass", result.rationale
        assert "this run verified its 1 artifact against pack" in result.rationale
        assert "evidence/artifacts/verification.json" in result.evidence
        recorded = json.loads((deploy.pack.directory / "evidence" / "artifacts" /
                               "verification.json").read_text())
        check = recorded["checks"][0]
        assert check["ok"] is True and check["file"] == "dist/app.tar.gz"
        assert check["pack_id"] == archive.name.removesuffix(".tar.gz")
        assert recorded["pack"] == archive.name

    def test_the_run_gate_counts_as_verification_before_the_deploy_step(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        archive, repo = _build_pack(make_repo, tmp_path, RUN_GATE_THEN_DEPLOY)
        deploy = _run(repo, tmp_path / "deploy-store", artifacts=("dist/app.tar.gz",),
                      verified_pack=archive, seed=8)
        result = _result(deploy, "IN-3")
        assert str(result.status) == "pass", result.rationale
        assert ".github/workflows/release.yml" in result.rationale

    def test_fail_when_the_deployed_artifact_does_not_verify(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        archive, repo = _build_pack(make_repo, tmp_path, VERIFY_THEN_DEPLOY)
        (repo / "dist" / "app.tar.gz").write_bytes(b"swapped before the deploy\n")
        deploy = _run(repo, tmp_path / "deploy-store", artifacts=("dist/app.tar.gz",),
                      verified_pack=archive, seed=8)
        result = _result(deploy, "IN-3")
        assert str(result.status) == "fail"
        assert [f.rule for f in result.findings] == ["artifact-verification-failed"]
        assert result.findings[0].message.startswith(
            "artifact dist/app.tar.gz does not verify against the build's pack: dist/app.tar.gz: "
            "sha256 ")
        assert "the file was changed after it was built" in result.findings[0].message
        recorded = json.loads((deploy.pack.directory / "evidence" / "artifacts" /
                               "verification.json").read_text())
        assert recorded["checks"][0]["ok"] is False

    def test_a_pinned_key_must_match_the_build_pack_s_signer(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        archive, repo = _build_pack(make_repo, tmp_path, VERIFY_THEN_DEPLOY)
        other = generate_keypair(tmp_path / "other.key", tmp_path / "other.pub")
        builder_key = tmp_path / "build-store" / "keys" / "signing.pub"
        for key, ok in ((builder_key, True), (other.public, False)):
            deploy = run(RunOptions(path=repo, store=tmp_path / f"deploy-{ok}", cwd=repo,
                                    artifacts=("dist/app.tar.gz",), verified_pack=archive,
                                    verified_pack_key=key),
                         env={}, clock=lambda: NOW, random=lambda n: b"\x09" * n)
            recorded = json.loads((deploy.pack.directory / "evidence" / "artifacts" /
                                   "verification.json").read_text())
            assert recorded["key_pinned"] is True
            assert recorded["checks"][0]["ok"] is ok
            assert str(_result(deploy, "IN-3").status) == ("pass" if ok else "fail")
        assert "the signature does not verify with key" in recorded["checks"][0]["reason"]

    def test_fail_when_the_deploy_job_verifies_nothing(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        result = _result(_run(_repo(make_repo, DEPLOY_ONLY), tmp_path / "s"), "IN-3")
        assert str(result.status) == "fail"
        assert [f.rule for f in result.findings] == ["deploy-without-verification"]

    def test_not_applicable_without_a_deploy_job(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        result = _result(_run(_repo(make_repo, TESTS_ONLY), tmp_path / "s"), "IN-3")
        assert str(result.status) == "not_applicable"

    def test_a_verified_pack_without_artifacts_is_a_usage_error(
        self, make_repo: Callable[..., Path], tmp_path: Path
    ) -> None:
        repo = _repo(make_repo, DEPLOY_ONLY)
        with pytest.raises(InputError, match="needs the artifacts to check"):
            _run(repo, tmp_path / "s", verified_pack=tmp_path / "pack.tar.gz")
        result = CliRunner().invoke(main, ["run", str(repo), "--store", str(tmp_path / "s"),
                                           "--verified-pack", str(tmp_path / "p.tar.gz")])
        assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
