"""IN-2 end to end: the SBOM in the pack, lockfiles covered or not, and the pipeline's step."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from evidencepack.cli import main

LOCKFILES = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles"
SBOMS = LOCKFILES.parent / "sboms"
WORKFLOW = (
    "name: ci\non: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
    "    steps:\n      - run: make test\n"
)


def _run(repo: Path, store: Path, *extra: str) -> tuple[dict[str, Any], Path]:
    out = CliRunner().invoke(main, ["run", str(repo), "--store", str(store), "--format", "json",
                                    *extra], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    pack = Path(json.loads(out.stdout)["pack"])
    controls = json.loads((pack / "controls" / "results.json").read_text())["controls"]
    return next(c for c in controls if c["id"] == "IN-2"), pack


def _files(*cases: str) -> dict[str, str]:
    files = {".github/workflows/ci.yml": WORKFLOW}
    for case in cases:
        for path in (LOCKFILES / case).rglob("*"):
            if path.is_file():
                files[f"{case}/{path.relative_to(LOCKFILES / case).as_posix()}"] = path.read_text()
    return files


def test_pass_when_the_sbom_covers_every_lockfile(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = make_repo(_files("npm-v3", "poetry-v1", "cargo"))
    in2, pack = _run(repo, tmp_path / "store")
    assert in2["status"] == "pass", in2["rationale"]
    assert in2["rationale"].startswith(
        "this build's SBOM (evidence/sbom/sbom.cdx.json) lists 16 components from 3 lockfile(s)")
    assert in2["evidence"] == ["evidence/sbom/sbom.cdx.json", "evidence/sbom/inventory.json"]
    sbom = json.loads((pack / "evidence/sbom/sbom.cdx.json").read_text())
    assert sbom["metadata"]["component"]["name"] == "acme/shop"
    assert len(sbom["components"]) == 16
    inventory = json.loads((pack / "evidence/sbom/inventory.json").read_text())
    assert [lf["path"] for lf in inventory["lockfiles"]] == [
        "cargo/Cargo.lock", "npm-v3/package-lock.json", "poetry-v1/poetry.lock"]
    assert inventory["errors"] == []
    verified = CliRunner().invoke(main, ["verify", str(pack)])
    assert verified.exit_code == 0, verified.output


def test_error_names_each_unreadable_lockfile(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    files = _files("npm-v3")
    files["web/yarn.lock"] = "__metadata:\n  version: 8\n\"x@npm:^1\":\n  version: 1.0.0\n"
    files["svc/go.mod"] = "module x\nrequire (\n"
    repo = make_repo(files)
    in2, pack = _run(repo, tmp_path / "store")
    assert in2["status"] == "error"
    assert "2 lockfiles could not be read, so the SBOM does not cover svc/go.mod, web/yarn.lock" \
        in in2["rationale"]
    findings = in2["findings"]
    assert [(f["rule"], f["location"]["path"], f["severity"]) for f in findings] == [
        ("lockfile-unreadable", "svc/go.mod", "high"),
        ("lockfile-unreadable", "web/yarn.lock", "high"),
    ]
    inventory = json.loads((pack / "evidence/sbom/inventory.json").read_text())
    assert [e["path"] for e in inventory["errors"]] == ["svc/go.mod", "web/yarn.lock"]


def test_unpinned_requirements_are_findings_of_a_pass(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = make_repo({".github/workflows/ci.yml": WORKFLOW,
                      "requirements.txt": "six==1.16.0\nflask>=2\n"})
    in2, _ = _run(repo, tmp_path / "store")
    assert in2["status"] == "pass"
    assert in2["rationale"].endswith("1 entry(ies) without a pinned version")
    assert [(f["rule"], f["severity"]) for f in in2["findings"]] == [("unpinned-dependency", "low")]


def test_without_lockfile_the_pipeline_step_decides(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = make_repo({".github/workflows/ci.yml": WORKFLOW})
    in2, _ = _run(repo, tmp_path / "a")
    assert in2["status"] == "fail"
    assert [f["rule"] for f in in2["findings"]] == ["no-sbom"]
    with_step = WORKFLOW + "      - uses: anchore/sbom-action@v0\n"
    repo2 = make_repo({".github/workflows/ci.yml": with_step}, name="repo2")
    in2, _ = _run(repo2, tmp_path / "b")
    assert in2["status"] == "error"
    assert "evidencepack found no lockfile" in in2["rationale"]
    assert "--sbom FILE" in in2["rationale"]


def test_given_sbom_is_merged_into_the_pack(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = make_repo({".github/workflows/ci.yml": WORKFLOW})
    given = tmp_path / "image.cdx.json"
    shutil.copy(SBOMS / "syft-1.18.1.cdx.json", given)
    in2, pack = _run(repo, tmp_path / "store", "--sbom", str(given))
    assert in2["status"] == "pass", in2["rationale"]
    sbom = json.loads((pack / "evidence/sbom/sbom.cdx.json").read_text())
    assert len(sbom["components"]) == 20


def test_malformed_given_sbom_is_an_error(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = make_repo({".github/workflows/ci.yml": WORKFLOW, "requirements.txt": "six==1.16.0\n"})
    given = tmp_path / "broken.json"
    given.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": {}}')
    in2, _ = _run(repo, tmp_path / "store", "--sbom", str(given))
    assert in2["status"] == "error"
    assert str(given) in in2["rationale"]
    assert in2["findings"][0]["location"] is None  # outside the repository


def test_unreadable_given_sbom_stops_the_run(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = make_repo({".github/workflows/ci.yml": WORKFLOW})
    out = CliRunner().invoke(main, ["run", str(repo), "--store", str(tmp_path / "s"),
                                    "--sbom", str(tmp_path / "missing.json")])
    assert out.exit_code == 2
    assert out.output.strip().splitlines() == [
        f"evidencepack: error: {tmp_path / 'missing.json'}: --sbom: no such file"]


def test_inventory_error_is_an_error() -> None:
    from datetime import date

    from evidencepack.controls.base import Evidence
    from evidencepack.controls.in2_sbom import Sbom
    from evidencepack.model import Status, Subject
    from evidencepack.policy import default_policy

    subject = Subject(repository="acme/shop", commit="a" * 40)
    evidence = Evidence(subject=subject, policy=default_policy(), today=date(2026, 11, 2),
                        inventory_error="the checkout could not be walked for lockfiles: denied")
    outcome = Sbom().evaluate(evidence)
    assert outcome.status is Status.ERROR
    assert outcome.rationale == ("this build's SBOM could not be built: the checkout could not be "
                                 "walked for lockfiles: denied")


def test_fail_when_a_manifest_has_no_lockfile(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = make_repo({".github/workflows/ci.yml": WORKFLOW, "requirements.txt": "six==1.16.0\n",
                      "web/package.json": '{"dependencies": {"react": "^18.2.0"}}'})
    in2, pack = _run(repo, tmp_path / "store")
    assert in2["status"] == "fail"
    assert in2["rationale"].startswith(
        "1 manifest declares dependencies that no lockfile pins (web/package.json); ")
    assert [(f["rule"], f["location"]["path"], f["severity"]) for f in in2["findings"]] == [
        ("manifest-without-lockfile", "web/package.json", "medium")]
    inventory = json.loads((pack / "evidence/sbom/inventory.json").read_text())
    assert inventory["unlocked_manifests"] == ["web/package.json"]


def test_accepted_unlocked_manifest_keeps_its_finding_and_the_reason(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    policy = ("allow:\n  - control: IN-2\n    rule: manifest-without-lockfile\n"
              "    path: examples/\n    reason: example apps are never built\n")
    repo = make_repo({".github/workflows/ci.yml": WORKFLOW, "requirements.txt": "six==1.16.0\n",
                      "examples/demo/package.json": '{"dependencies": {"react": "^18.2.0"}}',
                      "evidencepack.yml": policy})
    in2, _ = _run(repo, tmp_path / "store")
    assert in2["status"] == "pass", in2["rationale"]
    assert [(f["rule"], f["allowed_by"]) for f in in2["findings"]] == [
        ("manifest-without-lockfile", "example apps are never built")]
