"""`evidencepack scan deps`: formats, output file, exit codes, one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from evidencepack.cli import main

from .conftest import LOCKFILES


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env=env)


def test_table_lists_lockfiles_and_components() -> None:
    out = invoke("scan", "deps", LOCKFILES / "npm-v3")
    assert out.exit_code == 0, out.output
    assert "package-lock.json v3" in out.stdout and "@babel/runtime" in out.stdout


def test_json_is_the_inventory() -> None:
    out = invoke("scan", "deps", LOCKFILES / "cargo", "--format", "json")
    assert out.exit_code == 0
    document = json.loads(out.stdout)
    assert document["lockfiles"] == [{"path": "Cargo.lock", "format": "Cargo.lock", "components": 5,
                                      "error": None, "unresolved": []}]
    assert [c["purl"].split("?")[0] for c in document["components"]] == [
        "pkg:cargo/cfg-if@1.0.0", "pkg:cargo/log@0.4.21", "pkg:cargo/rand@0.7.3",
        "pkg:cargo/rand@0.8.5", "pkg:cargo/tiny-git@0.3.0"]


def test_cyclonedx_to_a_file_is_reproducible(tmp_path: Path) -> None:
    env = {"SOURCE_DATE_EPOCH": "1790000000"}
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert invoke("scan", "deps", LOCKFILES / "pnpm-v9", "--format", "cyclonedx", "-o", first,
                  env=env).exit_code == 0
    assert invoke("scan", "deps", LOCKFILES / "pnpm-v9", "--format", "cyclonedx", "-o", second,
                  env=env).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    document = json.loads(first.read_text())
    assert document["metadata"]["timestamp"] == "2026-09-21T14:13:20+00:00"
    assert document["metadata"]["component"]["name"] == "pnpm-v9"  # no Git remote: the folder


def test_table_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "deps.txt"
    assert invoke("scan", "deps", LOCKFILES / "gemfile", "-o", target).exit_code == 0
    assert "nokogiri" in target.read_text()


def test_unreadable_lockfile_exits_1(tmp_path: Path) -> None:
    shutil.copytree(LOCKFILES / "npm-v3", tmp_path / "repo")
    (tmp_path / "repo" / "poetry.lock").write_text("[[package]\n")
    out = invoke("scan", "deps", tmp_path / "repo", "--format", "json")
    assert out.exit_code == 1
    assert json.loads(out.stdout)["errors"][0]["path"] == "poetry.lock"


def test_missing_path_exits_2_with_one_line(tmp_path: Path) -> None:
    out = invoke("scan", "deps", tmp_path / "nope")
    assert out.exit_code == 2
    assert out.output.strip().splitlines() == [
        f"evidencepack: error: {tmp_path / 'nope'}: no such file or directory"]


def test_path_that_is_a_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    out = invoke("scan", "deps", tmp_path / "f")
    assert out.exit_code == 2 and "not a directory" in out.output


def test_unreadable_sbom_exits_2_with_one_line(tmp_path: Path) -> None:
    out = invoke("scan", "deps", LOCKFILES / "npm-v3", "--sbom", tmp_path / "missing.json")
    assert out.exit_code == 2
    assert out.output.strip().splitlines() == [
        f"evidencepack: error: {tmp_path / 'missing.json'}: --sbom: no such file"]


def test_malformed_sbom_is_reported_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = invoke("scan", "deps", LOCKFILES / "npm-v3", "--sbom", bad, "--format", "json")
    assert out.exit_code == 1
    errors = json.loads(out.stdout)["errors"]
    assert [e["path"] for e in errors] == [str(bad)]


def test_bad_source_date_epoch_exits_2() -> None:
    out = invoke("scan", "deps", LOCKFILES / "npm-v3", "--format", "cyclonedx",
                 env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert out.exit_code == 2 and "SOURCE_DATE_EPOCH" in out.output


def test_policy_excludes_fixture_lockfiles_and_records_it(tmp_path: Path) -> None:
    tree = tmp_path / "project"
    shutil.copytree(LOCKFILES / "cargo", tree)
    shutil.copytree(LOCKFILES / "npm-v3", tree / "tests" / "fixtures" / "npm")
    shutil.copytree(LOCKFILES / "npm-v3", tree / "tests" / "fixtures-kept")
    (tree / "evidencepack.yml").write_text("dependencies:\n  exclude_paths: [tests/fixtures/]\n")
    out = invoke("scan", "deps", tree, "--format", "json")
    assert out.exit_code == 0, out.output
    document = json.loads(out.stdout)
    assert [lf["path"] for lf in document["lockfiles"]] == ["Cargo.lock",
                                                           "tests/fixtures-kept/package-lock.json"]
    assert document["excluded_paths"] == ["tests/fixtures/"]
    plain = tmp_path / "plain.yml"
    plain.write_text("version: 1\n")
    without = json.loads(invoke("scan", "deps", tree, "--format", "json", "--policy", plain).stdout)
    assert len(without["lockfiles"]) == 3


def test_run_records_the_excluded_paths_in_the_pack(tmp_path: Path) -> None:
    import subprocess

    tree = tmp_path / "project"
    shutil.copytree(LOCKFILES / "cargo", tree)
    shutil.copytree(LOCKFILES / "npm-v3", tree / "tests" / "fixtures" / "npm")
    (tree / "evidencepack.yml").write_text("dependencies:\n  exclude_paths: [tests/fixtures]\n")
    env = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev",
           "GIT_COMMITTER_EMAIL": "dev@example.com", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=tree, env=env, check=True)
    out = invoke("run", tree, "--store", tmp_path / "store", "--format", "json")
    document = json.loads(out.stdout)
    pack = Path(document["pack"])
    inventory = json.loads((pack / "evidence/sbom/inventory.json").read_text())
    assert inventory["excluded_paths"] == ["tests/fixtures"]
    assert [lf["path"] for lf in inventory["lockfiles"]] == ["Cargo.lock"]
    results = json.loads((pack / "controls/results.json").read_text())
    in2 = next(r for r in results["controls"] if r["id"] == "IN-2")
    assert "left out by the policy's dependencies.exclude_paths: tests/fixtures" in in2["rationale"]


def test_exclude_paths_must_stay_inside_the_repository(tmp_path: Path) -> None:
    (tmp_path / "evidencepack.yml").write_text("dependencies:\n  exclude_paths: [../elsewhere]\n")
    out = invoke("scan", "deps", tmp_path)
    assert out.exit_code == 2
    assert ("evidencepack.yml:2:18: 'dependencies.exclude_paths' entry '../elsewhere' must be a path"
            in out.output)
