"""The command line end to end, on real Git repositories: statuses, exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from evidencepack.cli import main

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "data" / "schemas"

# The workflow-derived controls of each fixture repository, as an auditor would expect them.
# Everything not listed needs platform or run-time evidence and is `error` offline. AC-4
# rests on evidencepack's own scan of the tree, which finds no secret in any fixture; IN-2
# on the SBOM evidencepack writes from the lockfiles (the hardened ones have a pinned
# requirements.txt; the insecure ones no lockfile and no SBOM step).
EXPECTED = {
    "github-insecure": {
        "AC-1": "fail", "AC-2": "fail", "HD-1": "fail", "IN-3": "fail", "CM-3": "fail",
        "CM-4": "fail", "AC-4": "pass", "VM-1": "fail", "IN-1": "fail", "IN-2": "fail",
        "DOC-1": "fail",
    },
    "github-hardened": {
        "AC-1": "pass", "AC-2": "pass", "HD-1": "pass", "IN-3": "pass", "CM-3": "error",
        "CM-4": "error", "AC-4": "pass", "VM-1": "error", "IN-1": "error", "IN-2": "pass",
        "DOC-1": "error",
    },
    "gitlab-insecure": {
        "AC-1": "fail", "AC-2": "error", "HD-1": "fail", "IN-3": "fail", "CM-3": "fail",
        "CM-4": "fail", "AC-4": "pass", "VM-1": "fail", "IN-1": "fail", "IN-2": "fail",
        "DOC-1": "fail",
    },
    "gitlab-hardened": {
        "AC-1": "pass", "AC-2": "error", "HD-1": "pass", "IN-3": "pass", "CM-3": "error",
        "CM-4": "error", "AC-4": "pass", "VM-1": "error", "IN-1": "error", "IN-2": "pass",
        "DOC-1": "error",
    },
}
PLATFORM_ONLY = ("CM-1", "CM-2", "AC-3", "LG-1", "MO-1", "VM-2")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def run_json(repo: Path, store: Path, *extra: str) -> tuple[int, dict[str, object]]:
    result = invoke("run", repo, "--store", store, "--format", "json", *extra)
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_fixture_repositories_get_the_expected_statuses(
    case: str, fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    remote = "https://gitlab.com/acme/shop.git" if case.startswith("gitlab") else \
        "https://github.com/acme/shop.git"
    repo = fixture_repo(case, remote=remote)
    code, out = run_json(repo, tmp_path / "store")
    controls = out["controls"]
    assert isinstance(controls, dict)
    assert {k: controls[k] for k in EXPECTED[case]} == EXPECTED[case]
    for control in PLATFORM_ONLY:
        assert controls[control] == "error"
    assert len(controls) == 17
    pack = Path(str(out["pack"]))
    assert pack.is_dir() and out["id"] == pack.name
    verified = invoke("verify", pack, "--key", tmp_path / "store" / "keys" / "signing.pub")
    assert verified.exit_code == 0, verified.output
    # The hardened GitHub repository enforces AC-1, AC-2, HD-1 and IN-3, which all pass.
    assert code == 0


def test_platform_controls_name_the_missing_token(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = fixture_repo("gitlab-hardened", remote="https://gitlab.com/acme/shop.git")
    result = invoke("run", repo, "--store", tmp_path / "s", "--format", "json")
    pack = Path(json.loads(result.stdout)["pack"])
    results = json.loads((pack / "controls" / "results.json").read_text())["controls"]
    cm1 = next(r for r in results if r["id"] == "CM-1")
    assert cm1["rationale"] == "no GitLab token: branch protection and rulesets of main not observed"


def test_enforced_failure_exits_1_and_still_writes_the_pack(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = fixture_repo("github-insecure")
    (repo / "evidencepack.yml").write_text("enforce: [AC-1]\n")
    result = invoke("run", repo, "--store", tmp_path / "s", "--format", "json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["enforced_failures"] == ["AC-1"]
    assert Path(out["pack"]).is_dir()
    assert "enforced control(s) failed: AC-1" in result.stderr


def test_table_output_and_first_run_key_notice(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = fixture_repo("github-hardened")
    first = invoke("run", repo, "--store", tmp_path / "s")
    assert first.exit_code == 0
    assert "HD-1" in first.stdout and "pass" in first.stdout
    assert "no signing key given: created" in first.stderr
    assert (tmp_path / "s" / "keys" / "signing.key").stat().st_mode & 0o077 == 0
    second = invoke("run", repo, "--store", tmp_path / "s")
    assert "no signing key given" not in second.stderr
    listing = invoke("store", "list", "--store", tmp_path / "s", "--format", "json")
    records = json.loads(listing.stdout)
    assert len(records) == 2 and records[0]["repository"] == "acme/shop"
    assert records[0]["pack_id"] < records[1]["pack_id"]
    assert invoke("store", "verify", "--store", tmp_path / "s").exit_code == 0


def test_run_with_a_given_key_and_github_ci_environment(
    fixture_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    ci_free_env: None,
) -> None:
    repo = fixture_repo("github-hardened")
    keys = invoke("keygen", "--out-dir", tmp_path / "k")
    assert keys.exit_code == 0 and "Key id:" in keys.stdout
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                          text=True, check=True).stdout.strip()
    env = {
        "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_SHA": head,
        "GITHUB_REF": "refs/heads/main", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_ACTOR": "alice", "GITHUB_TRIGGERING_ACTOR": "bob",
        "GITHUB_WORKFLOW_REF": "acme/shop/.github/workflows/ci.yml@refs/heads/main",
        "GITHUB_SERVER_URL": "https://github.com", "GITHUB_EVENT_NAME": "push",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = invoke("run", repo, "--store", tmp_path / "s", "--key", tmp_path / "k" / "signing.key",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    pack = Path(json.loads(result.stdout)["pack"])
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["subject"]["run_url"] == \
        "https://github.com/acme/shop/actions/runs/4242/attempts/2"
    assert manifest["subject"]["triggering_actor"] == "bob"
    assert manifest["subject"]["platform"] == "github"
    assert invoke("verify", pack, "--key", tmp_path / "k" / "signing.pub").exit_code == 0
    # A given key means the store never creates one of its own.
    assert not (tmp_path / "s" / "keys").exists()


def test_encrypted_key_needs_its_password(
    fixture_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    ci_free_env: None,
) -> None:
    monkeypatch.setenv("EVIDENCEPACK_KEY_PASSWORD", "correct horse")
    assert invoke("keygen", "--out-dir", tmp_path / "k").exit_code == 0
    monkeypatch.delenv("EVIDENCEPACK_KEY_PASSWORD")
    repo = fixture_repo("github-hardened")
    result = invoke("run", repo, "--store", tmp_path / "s", "--key", tmp_path / "k" / "signing.key")
    assert result.exit_code == 2
    assert "encrypted; set EVIDENCEPACK_KEY_PASSWORD" in result.stderr
    monkeypatch.setenv("EVIDENCEPACK_KEY_PASSWORD", "correct horse")
    ok = invoke("run", repo, "--store", tmp_path / "s", "--key", tmp_path / "k" / "signing.key")
    assert ok.exit_code == 0


def _assert_clean_error(result: Result, fragment: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("evidencepack: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_nonexistent_path(tmp_path: Path) -> None:
    _assert_clean_error(invoke("run", tmp_path / "nope", "--store", tmp_path / "s"),
                        "no such file or directory")


def test_not_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    _assert_clean_error(invoke("run", tmp_path / "plain", "--store", tmp_path / "s"),
                        "not a Git repository")


def test_repository_without_commits(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path / "empty")], check=True)
    _assert_clean_error(invoke("run", tmp_path / "empty", "--store", tmp_path / "s"),
                        "has no commits yet")


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        ("approvals:\n  requierd: 2\n", "evidencepack.yml:2:3: unknown key 'approvals.requierd'"),
        ("approvals:\n  required: two\n",
         "evidencepack.yml:2:13: 'approvals.required' must be a whole number"),
        ("production_branches: 3\n", "'production_branches' must be a list of strings"),
        ("enforce: [XX-9]\n", "'enforce' names unknown control XX-9"),
        ("allow:\n  - control: HD-1\n", "needs a non-empty 'reason'"),
        ("allow:\n  - {control: HD-1, reason: x, expires: soon}\n", "'allow.expires' must be a date"),
        ("hardening: {fail_on: severe}\n", "'hardening.fail_on' must be one of"),
        ("[1, 2\n", "evidencepack.yml:"),
        ("- a\n- b\n", "the policy must be a mapping"),
    ],
    ids=["unknown-key", "wrong-type", "not-a-list", "unknown-control", "no-reason",
         "bad-date", "bad-severity", "invalid-yaml", "not-a-mapping"],
)
def test_bad_policy_is_a_one_line_error_with_its_position(
    make_repo: Callable[..., Path], tmp_path: Path, policy: str, fragment: str
) -> None:
    repo = make_repo({"evidencepack.yml": policy})
    _assert_clean_error(invoke("run", repo, "--store", tmp_path / "s"), fragment)


def test_policy_symlink_out_of_the_repository_is_refused(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({"README.md": "x"})
    (tmp_path / "outside.yml").write_text("version: 1\n")
    (repo / "evidencepack.yml").symlink_to(tmp_path / "outside.yml")
    _assert_clean_error(invoke("run", repo, "--store", tmp_path / "s"), "not a regular file")


def test_hostile_configuration_is_an_error_and_the_run_continues(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    bomb = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    bomb += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    (tmp_path / "secret.yml").write_text("on: push\n")
    repo = make_repo({
        ".github/workflows/bomb.yml": "\n".join(bomb) + "\n",
        ".github/workflows/deep.yml": "on: " + "[" * 5000 + "]" * 5000 + "\n",
        ".github/workflows/broken.yml": "on: push\njobs:\n  a: [\n",
        ".github/workflows/binary.yml": b"\x00\x01\x02binary",
        ".github/workflows/huge.yml": "# " + "x" * (2 * 1024 * 1024) + "\n",
        ".github/workflows/ok.yml": "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n"
                                    "    steps:\n      - run: pytest\n",
    })
    (repo / ".github" / "workflows" / "escape.yml").symlink_to(tmp_path / "secret.yml")
    code, out = run_json(repo, tmp_path / "s")
    assert code == 0
    pack = Path(str(out["pack"]))
    results = json.loads((pack / "controls" / "results.json").read_text())["controls"]
    hd1 = next(r for r in results if r["id"] == "HD-1")
    assert hd1["status"] == "error"
    messages = {f["rule"]: f["message"] for f in hd1["findings"]}
    located = {f["location"]["path"]: f for f in hd1["findings"] if f["location"]}
    assert "alias bomb" in located[".github/workflows/bomb.yml"]["message"]
    assert "nesting deeper" in located[".github/workflows/deep.yml"]["message"]
    assert located[".github/workflows/broken.yml"]["location"]["line"] in (3, 4)
    assert "binary content" in located[".github/workflows/binary.yml"]["message"]
    assert "over the" in located[".github/workflows/huge.yml"]["message"]
    assert "outside the repository" in located[".github/workflows/escape.yml"]["message"]
    assert set(messages) >= {"invalid-yaml", "config-not-text", "config-too-large",
                             "config-unreadable"}
    # Nothing from outside the repository was copied into the pack.
    assert not (pack / "evidence" / "config" / ".github" / "workflows" / "escape.yml").exists()
    # Only AC-4 may pass: evidencepack's own secret scan read every file it could.
    for r in results:
        assert r["status"] != "pass" or r["id"] == "AC-4", r


def test_verify_reports_tampering_with_exit_1(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = fixture_repo("github-hardened")
    _, out = run_json(repo, tmp_path / "s")
    pack = Path(str(out["pack"]))
    (pack / "controls" / "results.json").write_text("{}")
    result = invoke("verify", pack)
    assert result.exit_code == 1
    assert "FAIL: controls/results.json: content changed" in result.stderr
    missing = invoke("verify", tmp_path / "nothing-here")
    _assert_clean_error(missing, "no such pack")


def test_scan_workflows_sarif_is_valid_and_github_ready(
    fixture_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = fixture_repo("github-insecure")
    result = invoke("scan", "workflows", repo, "--format", "sarif")
    assert result.exit_code == 0
    sarif = json.loads(result.stdout)
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert {"write-all", "static-cloud-credentials", "zizmor/template-injection"} <= set(rules)
    assert all(r["helpUri"].startswith("https://") for r in rules.values())
    for res in run["results"]:
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "://" not in uri
        assert res["partialFingerprints"]
    failing = invoke("scan", "workflows", repo, "--fail-on", "high")
    assert failing.exit_code == 1


def test_scan_workflows_on_a_plain_folder(tmp_path: Path) -> None:
    wf = tmp_path / "x" / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "a.yml").write_text("on: push\npermissions: write-all\njobs: {}\n")
    result = invoke("scan", "workflows", tmp_path / "x", "--format", "json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert "write-all" in {f["rule"] for f in out["findings"]}


def test_init_writes_the_default_policy_and_prints_snippets(tmp_path: Path) -> None:
    result = invoke("init", tmp_path)
    assert result.exit_code == 0
    assert "actions/checkout@" in result.stdout and "evidencepack run" in result.stdout
    assert (tmp_path / "evidencepack.yml").is_file()
    again = invoke("init", tmp_path)
    _assert_clean_error(again, "already exists")
    assert invoke("init", tmp_path, "--force").exit_code == 0


def test_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    assert invoke("keygen", "--out-dir", tmp_path).exit_code == 0
    _assert_clean_error(invoke("keygen", "--out-dir", tmp_path), "already exists")


def test_python_dash_m_and_version() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCEPACK_")}
    done = subprocess.run([sys.executable, "-m", "evidencepack", "--version"], capture_output=True,
                          text=True, check=False, env=env)
    assert done.returncode == 0 and "evidencepack" in done.stdout
