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
