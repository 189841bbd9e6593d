"""Recognising what a step does, on whole commands only."""

from __future__ import annotations

import pytest

from evidencepack.scanners.pipeline.capabilities import (
    recognise_action,
    recognise_gitlab_template,
    recognise_image,
    recognise_script,
)
from evidencepack.scanners.pipeline.model import CapabilityKind as K


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("pytest -q", [(K.TESTS, 0)]),
        ("python -m pytest", [(K.TESTS, 0)]),
        (".venv/bin/pytest -n 2", [(K.TESTS, 0)]),
        ("uv run pytest", [(K.TESTS, 0)]),
        ("npm ci\nnpm test", [(K.TESTS, 1)]),
        ("go vet ./...\ngo test ./...", [(K.TESTS, 1)]),
        ("cargo build && cargo test --all", [(K.TESTS, 0)]),
        ("./gradlew check", [(K.TESTS, 0)]),
        ("make && make test", [(K.TESTS, 0)]),
        ("trivy fs --exit-code 1 .", [(K.DEPENDENCY_SCAN, 0)]),
        ("trivy fs --scanners secret .", [(K.DEPENDENCY_SCAN, 0), (K.SECRET_SCAN, 0)]),
        ("gitleaks git --redact .", [(K.SECRET_SCAN, 0)]),
        ("syft scan dir:. -o cyclonedx-json=sbom.json", [(K.SBOM, 0)]),
        ("cosign sign-blob --yes app.tgz", [(K.SIGNING, 0)]),
        ("cosign verify-blob --key k.pub --signature s app.tgz", [(K.VERIFY_SIGNATURE, 0)]),
        ("gh attestation verify app.tgz -R acme/shop", [(K.VERIFY_SIGNATURE, 0)]),
        ("evidencepack verify-artifact app.tgz --pack p.tar.gz", [(K.VERIFY_SIGNATURE, 0)]),
        ("evidencepack run --artifact app.tgz --verified-pack p.tar.gz",
         [(K.SECRET_SCAN, 0), (K.SBOM, 0), (K.SIGNING, 0), (K.VERIFY_SIGNATURE, 0)]),
        ("evidencepack run --artifact app.tgz", [(K.SECRET_SCAN, 0), (K.SBOM, 0), (K.SIGNING, 0)]),
        ("evidencepack run --store s", [(K.SECRET_SCAN, 0), (K.SBOM, 0)]),
        ("evidencepack run --osv-db osv/", [(K.DEPENDENCY_SCAN, 0), (K.SECRET_SCAN, 0), (K.SBOM, 0)]),
        ("evidencepack scan workflows .", []),
        ("kubectl apply -f k8s/", [(K.DEPLOY, 0)]),
        ("twine upload dist/*", [(K.DEPLOY, 0)]),
        ("cargo publish --dry-run", []),
        ("pip install pytest pytest-cov", []),
        ("echo 'run pytest later'", []),
        ("cat docs/gitleaks.md", []),
        ("mytrivy fs .", []),
        ("echo cosign verify", []),
    ],
)
def test_scripts(script: str, expected: list[tuple[K, int]]) -> None:
    assert [(kind, line) for kind, _, line in recognise_script(script)] == expected


def test_actions_match_by_name_before_the_ref() -> None:
    assert [k for k, _ in recognise_action("aquasecurity/trivy-action@0.28.0")] == [K.DEPENDENCY_SCAN]
    assert [k for k, _ in recognise_action("actions/attest-build-provenance@abc")] == [K.SIGNING]
    assert recognise_action("aquasecurity/trivy-action-fork@v1") == []
    assert recognise_action("./.github/actions/local") == []
    assert [k for k, _ in recognise_action("evidencepack/evidencepack@abc")] == [K.SECRET_SCAN, K.SBOM]


def test_gitlab_templates_and_images() -> None:
    kinds = [k for k, _ in recognise_gitlab_template("Jobs/Dependency-Scanning.gitlab-ci.yml")]
    assert kinds == [K.DEPENDENCY_SCAN, K.SBOM]
    assert [k for k, _ in recognise_gitlab_template("Security/Secret-Detection.gitlab-ci.yml")] == \
        [K.SECRET_SCAN]
    assert [k for k, _ in recognise_gitlab_template(
        "https://ci.acme.dev/templates/evidencepack.gitlab-ci.yml")] == [K.SECRET_SCAN, K.SBOM]
    assert [k for k, _ in recognise_image("zricethezav/gitleaks:v8")] == [K.SECRET_SCAN]
    assert recognise_image("python:3.12") == []
