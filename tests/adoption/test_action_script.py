"""scripts/action/run.sh run for real by bash, with the variables GitHub and GitLab set.

evidencepack is the one installed in the test environment; each case builds a real Git
repository. The outputs are read back the way the runner reads them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "action" / "run.sh"
TEMPLATE = ROOT / "templates" / "evidencepack.gitlab-ci.yml"
BIN = Path(sys.executable).parent

UNPINNED = """\
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - run: make test
"""


def _commit(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def _base_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


def github_env(repo: Path, tmp_path: Path, **inputs: str) -> dict[str, str]:
    """The variables a GitHub-hosted runner sets for a step of a push workflow, and the inputs."""
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(parents=True, exist_ok=True)
    files = tmp_path / "runner-files"
    files.mkdir(parents=True, exist_ok=True)
    (files / "output").touch()
    (files / "summary").touch()
    env = _base_env(tmp_path)
    env.update({
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_SHA": _commit(repo),
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_ACTOR": "alice",
        "GITHUB_TRIGGERING_ACTOR": "alice",
        "GITHUB_WORKFLOW_REF": "acme/shop/.github/workflows/evidence.yml@refs/heads/main",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_WORKSPACE": str(repo),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(files / "output"),
        "GITHUB_STEP_SUMMARY": str(files / "summary"),
    })
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    return env


def run_script(cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT)], cwd=cwd, env=dict(env), capture_output=True,
                          text=True, check=False, timeout=300)


def read_github_output(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file as the runner does: `name=value` or `name<<DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            while lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            index += 1
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def _sarif_validator() -> jsonschema.protocols.Validator:
    schema: dict[str, Any] = json.loads(
        (ROOT.parent / "shared" / "data" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def test_github_run_writes_outputs_summary_and_sarif(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({"README.md": "shop\n"})
    env = github_env(repo, tmp_path)
    done = run_script(repo, env)
    assert done.returncode == 0, done.stderr

    outputs = read_github_output(Path(env["GITHUB_OUTPUT"]))
    assert set(outputs) == {"pack-id", "pack-path", "archive", "sarif", "summary", "status"}
    assert outputs["status"] == "pass"
    out_dir = Path(env["RUNNER_TEMP"]) / "evidencepack"
    assert outputs["pack-path"] == str(out_dir / "store" / "packs" / outputs["pack-id"])
    assert Path(outputs["pack-path"], "manifest.json").is_file()
    assert outputs["archive"] == outputs["pack-path"] + ".tar.gz"
    assert Path(outputs["archive"]).is_file()
    manifest = json.loads(Path(outputs["pack-path"], "manifest.json").read_text())
    assert outputs["pack-id"] in json.dumps(manifest)

    _sarif_validator().validate(json.loads(Path(outputs["sarif"]).read_text()))

    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith(f"## evidencepack: acme/shop@{env['GITHUB_SHA'][:12]}\n")
    assert "| HD-1 | " in summary and outputs["pack-id"] in summary
    assert summary == Path(outputs["summary"]).read_text()

    # What evidencepack printed is fenced off from the runner's command parser.
    stop = re.search(r"^::stop-commands::([0-9a-f]{32})$", done.stdout, flags=re.MULTILINE)
    assert stop and f"\n::{stop.group(1)}::\n" in done.stdout
    assert done.stdout.index(stop.group(0)) < done.stdout.index('"id"') < done.stdout.index(
        f"::{stop.group(1)}::")
    # The store's private key is not among the files handed to the upload step.
    assert str(out_dir / "store" / "keys") not in "\n".join(outputs.values())


def test_enforced_failure_exits_1_after_writing_every_output(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({
        ".github/workflows/build.yml": UNPINNED,
        "ops/policy.yml": "version: 1\nenforce: [HD-1]\n",
    })
    env = github_env(repo, tmp_path, policy="ops/policy.yml")
    done = run_script(repo, env)
    assert done.returncode == 1, done.stderr
    assert "enforced control(s) failed: HD-1" in done.stderr

    outputs = read_github_output(Path(env["GITHUB_OUTPUT"]))
    assert outputs["status"] == "fail"
    assert Path(outputs["archive"]).is_file()
    results = json.loads(Path(outputs["pack-path"], "controls", "results.json").read_text())
    hd1 = next(c for c in results["controls"] if c["id"] == "HD-1")
    assert hd1["status"] == "fail" and hd1["enforced"] is True
    sarif = json.loads(Path(outputs["sarif"]).read_text())
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "zizmor/unpinned-uses" in rules
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "| HD-1 | " in summary and "**enforced controls failed:** HD-1" in summary


def test_missing_policy_is_a_one_line_error_with_exit_2(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({"README.md": "shop\n"})
    env = github_env(repo, tmp_path, policy="nowhere/evidencepack.yml")
    done = run_script(repo, env)
    assert done.returncode == 2
    assert done.stderr == "evidencepack action: error: policy 'nowhere/evidencepack.yml': no such file\n"
    assert "::error title=evidencepack::policy 'nowhere/evidencepack.yml': no such file" in done.stdout
    assert Path(env["GITHUB_OUTPUT"]).read_text() == ""


def test_evidencepack_input_error_gives_status_error_and_exit_2(tmp_path: Path) -> None:
    not_git = tmp_path / "plain"
    not_git.mkdir()
    repo = tmp_path / "for-env"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=a", "-c", "user.email=a@example.com",
                    "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    env = github_env(repo, tmp_path, path=str(not_git))
    done = run_script(repo, env)
    assert done.returncode == 2
    assert "evidencepack: error:" in done.stderr and "Traceback" not in done.stderr
    outputs = read_github_output(Path(env["GITHUB_OUTPUT"]))
    assert outputs["status"] == "error" and outputs["pack-id"] == ""
    assert "No pack was built (exit status 2)" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


HOSTILE = [
    "$(touch pwned-subst)",
    "`touch pwned-backtick`",
    "a'; touch pwned-quote; echo '",
    'b"; touch pwned-dquote; echo "',
    "line\n::set-output name=status::pass\ntouch pwned-newline",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_policy_value_is_never_executed(
    value: str, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({"README.md": "shop\n"})
    env = github_env(repo, tmp_path, policy=value)
    done = run_script(repo, env)
    assert done.returncode == 2
    assert not list(tmp_path.rglob("pwned*"))
    # The value reaches the annotation as data: its line breaks are escaped.
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotations == [line for line in annotations if line.startswith("::error title=")]


def test_hostile_store_path_is_used_literally_and_outputs_stay_parseable(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({"README.md": "shop\n"})
    store = tmp_path / "store $(touch pwned) 'q' \"d\"\nstatus=pass"
    env = github_env(repo, tmp_path, store=str(store))
    done = run_script(repo, env)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.rglob("pwned*"))
    outputs = read_github_output(Path(env["GITHUB_OUTPUT"]))
    assert outputs["pack-path"] == str(store / "packs" / outputs["pack-id"])
    assert Path(outputs["archive"]).is_file()
    assert outputs["status"] == "pass"


def _dry_run(repo: Path, tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    env = github_env(repo, tmp_path, **inputs)
    env["EVIDENCEPACK_ACTION_DRY_RUN"] = "1"
    return run_script(repo, env)


def test_dry_run_builds_one_argument_per_value(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({"ops/signing.key": "not read in a dry run\n", "dist/app-1.0.whl": "x"})
    done = _dry_run(repo, tmp_path, key="ops/signing.key",
                    artifacts="dist/*.whl\n  build/app.tar.gz\t$(touch pwned) 'x y'",
                    token="ghs_secretvalue")
    assert done.returncode == 0, done.stderr
    out = str(tmp_path / "runner-temp" / "evidencepack")
    assert json.loads(done.stdout) == [
        "evidencepack", "run", ".", "--format", "json", "--store", f"{out}/store",
        "--sarif", f"{out}/evidencepack.sarif", "--summary-markdown", f"{out}/summary.md",
        "--key", "ops/signing.key",
        # Globs stay globs (dist/app-1.0.whl exists, yet the pattern is passed as written).
        "--artifact", "dist/*.whl", "--artifact", "build/app.tar.gz",
        "--artifact", "$(touch", "--artifact", "pwned)", "--artifact", "'x", "--artifact", "y'",
    ]
    assert "ghs_secretvalue" not in done.stdout + done.stderr  # given in the environment only
    assert not list(tmp_path.rglob("pwned*"))


def test_dry_run_keyless(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = make_repo({"README.md": "shop\n"})
    done = _dry_run(repo, tmp_path, keyless="true")
    assert done.returncode == 0, done.stderr
    argv = json.loads(done.stdout)
    assert argv[-1] == "--keyless" and "--key" not in argv and "--artifact" not in argv


@pytest.mark.parametrize(("inputs", "message"), [
    ({"keyless": "yes"}, "keyless must be true or false, not 'yes'"),
    ({"keyless": "true", "key": "README.md"}, "key and keyless exclude each other: give one"),
    ({"key": "missing.key"}, "the key input names no file (its value is not shown)"),
    ({"key": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIFake\n-----END EC PRIVATE KEY-----"},
     "the key input holds key material, not a path: give a file (a GitLab File variable, "
     "or write the secret to a file first)"),
    ({"path": "missing-dir"}, "path 'missing-dir' is not a directory"),
])
def test_bad_inputs_exit_2(inputs: dict[str, str], message: str,
                           make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = make_repo({"README.md": "shop\n"})
    done = _dry_run(repo, tmp_path, **inputs)
    assert done.returncode == 2
    assert done.stderr == f"evidencepack action: error: {message}\n"


def test_gitlab_run_writes_dotenv_and_the_files_the_template_keeps(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({"README.md": "shop\n"}, remote="https://gitlab.com/acme/shop.git")
    env = _base_env(tmp_path)
    env.update({
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PROJECT_DIR": str(repo),
        "CI_PROJECT_PATH": "acme/shop",
        "CI_COMMIT_SHA": _commit(repo),
        "CI_COMMIT_REF_NAME": "main",
        "CI_COMMIT_BRANCH": "main",
        "CI_PIPELINE_ID": "777",
        "CI_PIPELINE_SOURCE": "push",
        "CI_JOB_URL": "https://gitlab.com/acme/shop/-/jobs/9",
        "CI_SERVER_URL": "https://gitlab.com",
        "GITLAB_USER_LOGIN": "alice",
    })
    done = run_script(repo, env)
    assert done.returncode == 0, done.stderr
    assert "::stop-commands::" not in done.stdout

    dotenv = dict(line.split("=", 1) for line in
                  (repo / "evidencepack-output" / "evidencepack.env").read_text().splitlines())
    assert dotenv["EVIDENCEPACK_STATUS"] == "pass"
    assert Path(dotenv["EVIDENCEPACK_ARCHIVE"]).is_file()
    assert dotenv["EVIDENCEPACK_PACK_PATH"].endswith("/" + dotenv["EVIDENCEPACK_PACK_ID"])
    summary = (repo / "evidencepack-output" / "summary.md").read_text()
    assert summary.startswith(f"## evidencepack: acme/shop@{env['CI_COMMIT_SHA'][:12]}\n")

    # Every path the template keeps as an artifact or report exists after the run.
    jobs = list(YAML(typ="safe").load_all(TEMPLATE.read_text()))[1]
    artifacts = jobs[".evidencepack"]["artifacts"]
    for kept in [*artifacts["paths"], artifacts["reports"]["dotenv"]]:
        assert (repo / kept).exists(), kept
    # The key created for the run stays out of the artifacts.
    assert (repo / "evidencepack-output" / "store" / "keys" / "signing.key").is_file()
    assert not any(kept.startswith(("evidencepack-output/store/keys", "evidencepack-output/store/"))
                   and not kept.startswith("evidencepack-output/store/packs/")
                   for kept in artifacts["paths"])


def test_packaged_script_is_the_action_script() -> None:
    from importlib.resources import files

    packaged = files("evidencepack") / "data" / "ci-run.sh"
    assert packaged.read_bytes() == SCRIPT.read_bytes()
    assert os.access(SCRIPT, os.X_OK)


def test_encrypted_key_signs_with_the_password_input_and_fails_without(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({"README.md": "shop\n"})
    keys = tmp_path / "keys"
    made = subprocess.run([str(BIN / "evidencepack"), "keygen", "--out-dir", str(keys)],
                          env={**_base_env(tmp_path), "EVIDENCEPACK_KEY_PASSWORD": "s3cret 'pw'"},
                          capture_output=True, text=True, check=True)
    keyid = re.search(r"Key id:\s+(\S+)", made.stdout)
    assert keyid

    env = github_env(repo, tmp_path, key=str(keys / "signing.key"), key_password="s3cret 'pw'")
    done = run_script(repo, env)
    assert done.returncode == 0, done.stderr
    outputs = read_github_output(Path(env["GITHUB_OUTPUT"]))
    manifest = json.loads(Path(outputs["pack-path"], "manifest.json").read_text())
    assert keyid.group(1) in json.dumps(manifest)
    assert "s3cret" not in done.stdout + done.stderr

    without = github_env(repo, tmp_path / "again", key=str(keys / "signing.key"))
    refused = run_script(repo, without)
    assert refused.returncode == 2
    assert read_github_output(Path(without["GITHUB_OUTPUT"]))["status"] == "error"
