"""The README's artifact commands, run as written: build with a cosign key, gate the deploy,
and the auditor's checks (OpenSSL, the signed statement, verify-artifact, cosign)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evidencepack.run import RunOutcome

from .conftest import write_artifacts

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PEER_VERIFIER = ROOT.parent / "shared" / "peers" / "verify_cosign_blob.sh"
BIN = str(Path(sys.executable).parent)


def _marked(name: str) -> str:
    match = re.search(rf"<!-- {name} -->\n```sh\n(.*?)```", README, flags=re.DOTALL)
    assert match, f"the README has lost its {name}"
    return "set -e\n" + match.group(1)


def _section() -> str:
    start = README.index("## Signing artifacts and verifying before deploy")
    return README[start:README.index("\n## ", start + 10)]


def _sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(cwd), **env},
                          check=False)


def test_the_auditor_artifact_recipe_verifies_and_catches_a_changed_artifact(
    artifact_pack: RunOutcome, tmp_path: Path
) -> None:
    assert artifact_pack.store is not None
    repo = artifact_pack.store.root.parent / "github-hardened"
    pack = tmp_path / "pack"
    shutil.copytree(artifact_pack.pack.directory, pack)
    env = {"PACK": str(pack), "ARTIFACT": "dist/app.tar.gz",
           "KEY": str(artifact_pack.store.keys_dir / "signing.pub")}
    good = _sh(_marked("artifact-recipe"), repo, env)
    assert good.returncode == 0, good.stderr
    assert "Verified OK" in good.stdout
    assert '"name": "dist/app.tar.gz"}' in good.stdout
    assert "OK dist/app.tar.gz: sha256 " in good.stdout

    (repo / "dist" / "app.tar.gz").write_bytes(b"swapped")
    bad = _sh(_marked("artifact-recipe"), repo, env)
    assert bad.returncode != 0
    assert "Verification failure" in bad.stdout + bad.stderr


def test_the_pack_recipe_still_holds_for_a_pack_with_artifacts(
    artifact_pack: RunOutcome, tmp_path: Path
) -> None:
    assert artifact_pack.store is not None
    pack = tmp_path / "pack"
    shutil.copytree(artifact_pack.pack.directory, pack)
    result = _sh(_marked("auditor-recipe"), pack,
                 {"KEY": str(artifact_pack.store.keys_dir / "signing.pub")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no missing or extra files" in result.stdout
    # Artifacts are signed subjects but not pack files: the recipe leaves them out.
    assert "\ndist/app.tar.gz:" not in "\n" + result.stdout
    assert result.stdout.count(": OK") == len([p for p in pack.rglob("*") if p.is_file()]) - 1


@pytest.mark.skipif(not PEER_VERIFIER.exists(), reason="no cosign stand-in in this checkout")
def test_the_cosign_line_verifies_through_the_cosign_stand_in(
    artifact_pack: RunOutcome, tmp_path: Path
) -> None:
    assert artifact_pack.store is not None
    shim = tmp_path / "bin" / "cosign"
    shim.parent.mkdir()
    # cosign verify-blob --key K --signature S --insecure-ignore-tlog=true FILE
    shim.write_text(f"""#!/bin/bash
[ "$1" = verify-blob ] || exit 64
shift
while [ $# -gt 1 ]; do
  case "$1" in
    --key) key=$2; shift 2;;
    --signature) sig=$2; shift 2;;
    --insecure-ignore-tlog=true) shift;;
    *) exit 64;;
  esac
done
exec bash {PEER_VERIFIER} "$key" "$sig" "$1"
""")
    shim.chmod(0o755)
    repo = artifact_pack.store.root.parent / "github-hardened"
    env = {"PACK": str(artifact_pack.pack.directory), "ARTIFACT": "dist/notes.txt",
           "KEY": str(artifact_pack.store.keys_dir / "signing.pub"),
           "PATH": f"{shim.parent}:/usr/bin:/bin"}
    good = _sh(_marked("artifact-cosign"), repo, env)
    assert good.returncode == 0 and "Verified OK" in good.stdout, good.stderr
    (repo / "dist" / "notes.txt").write_text("edited\n")
    assert _sh(_marked("artifact-cosign"), repo, env).returncode != 0


def test_the_build_and_deploy_commands_run_as_written(
    fixture_repo: object, tmp_path: Path, ci_free_env: None
) -> None:
    assert callable(fixture_repo)
    repo: Path = fixture_repo("github-hardened")
    write_artifacts(repo)
    env = {"COSIGN_PASSWORD": "correct horse"}
    keys = _sh("evidencepack keygen --cosign", repo, env)
    assert keys.returncode == 0, keys.stderr
    blocks = re.findall(r"```sh\n(.*?)```", _section(), flags=re.DOTALL)
    build = next(line for line in blocks[0].splitlines() if "--key cosign.key" in line)
    built = _sh(build, repo, env)
    assert built.returncode == 0, built.stderr
    archives = sorted((repo / ".evidence" / "packs").glob("*.tar.gz"))
    assert len(archives) == 1
    shutil.copy(archives[0], repo / "build-pack.tar.gz")
    deploy = _sh("set -e\n" + blocks[1], repo, env)
    assert deploy.returncode == 0, deploy.stderr
    assert deploy.stdout.startswith("OK dist/app.tar.gz: sha256 ")
    recorded = sorted((repo / ".evidence" / "packs").glob("*/evidence/artifacts/verification.json"))
    assert len(recorded) == 1 and '"ok": true' in recorded[0].read_text()
    (repo / "dist" / "app.tar.gz").write_bytes(b"tampered")
    gate = _sh("set -e\n" + blocks[1], repo, env)
    assert gate.returncode == 1
    assert gate.stderr.startswith("FAIL: dist/app.tar.gz: sha256 ")
    assert len(gate.stderr.strip().splitlines()) == 1
