"""action.yml and the GitLab template against their official schemas and our own HD-1 analysis."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from evidencepack.cli import main
from evidencepack.scanners.pipeline.zizmor import run_zizmor
from evidencepack.snippets import ACTION_REF_PLACEHOLDER, GITHUB_SNIPPET, GITLAB_SNIPPET

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT.parent / "shared" / "data" / "schemas"
ACTION = ROOT / "action.yml"
TEMPLATE = ROOT / "templates" / "evidencepack.gitlab-ci.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _validator(name: str) -> jsonschema.protocols.Validator:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _action() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(ACTION.read_text(encoding="utf-8"))
    return loaded


def test_action_is_valid_against_the_action_schema() -> None:
    _validator("github-action.json").validate(_action())


def test_an_invalid_action_is_rejected_by_the_same_check() -> None:
    broken = _action()
    broken["runs"]["steps"][0]["with"] = "not a mapping"
    del broken["runs"]["using"]
    with pytest.raises(jsonschema.ValidationError):
        _validator("github-action.json").validate(broken)


def test_every_action_reference_is_pinned_to_a_commit_with_its_version_beside_it() -> None:
    steps = _action()["runs"]["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert {u.split("@")[0] for u in uses} == {
        "actions/setup-python", "actions/upload-artifact", "github/codeql-action/upload-sarif"}
    assert all(PINNED.match(u) for u in uses), uses
    for line in ACTION.read_text().splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


def test_no_expression_is_interpolated_into_shell_text() -> None:
    for step in _action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step.get("name")
            assert step["shell"] == "bash"


def test_outputs_come_from_the_script_step_and_name_what_it_writes() -> None:
    action = _action()
    script = (ROOT / "scripts" / "action" / "run.sh").read_text()
    for name, output in action["outputs"].items():
        assert output["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
        assert f"write_output {name} " in script
    run_step = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    env = run_step["env"]
    for name in action["inputs"]:
        if name in ("path", "policy", "store", "key", "keyless", "artifacts", "token"):
            assert env[f"INPUT_{name.upper()}"] == f"${{{{ inputs.{name} }}}}"
    # Passed to the script, which exports COSIGN_PASSWORD only when a password is given.
    assert env["INPUT_KEY_PASSWORD"] == "${{ inputs.key-password }}"
    assert "COSIGN_PASSWORD" not in env
    assert action["inputs"]["token"]["default"] == "${{ github.token }}"


def test_sarif_upload_runs_even_when_an_enforced_control_failed() -> None:
    steps = {s.get("name"): s for s in _action()["runs"]["steps"]}
    upload = steps["Send the findings to code scanning"]
    assert upload["if"].startswith("always() && inputs.upload-sarif == 'true'")
    assert steps["Keep the pack as a workflow artifact"]["if"].startswith("always()")


def test_zizmor_finds_nothing_in_the_action_and_flags_a_tag(tmp_path: Path) -> None:
    shutil.copy(ACTION, tmp_path / "action.yml")
    audit = run_zizmor(tmp_path, ["action.yml"], "auditor")
    assert audit.error is None and audit.skipped == ()
    assert audit.findings == ()

    text = ACTION.read_text().replace(
        "actions/upload-artifact@043fb46d1a93c77aae656e7c1c64a875d1fc6a0a # v7.0.1",
        "actions/upload-artifact@v7")
    (tmp_path / "action.yml").write_text(text)
    flagged = run_zizmor(tmp_path, ["action.yml"], "auditor")
    assert "zizmor/unpinned-uses" in {f.rule for f in flagged.findings}


def _template_documents() -> list[Any]:
    return list(YAML(typ="safe").load_all(TEMPLATE.read_text(encoding="utf-8")))


def test_template_is_valid_against_gitlab_schema() -> None:
    validator = _validator("gitlab-ci.json")
    header, jobs = _template_documents()
    assert set(header) == {"spec"}
    validator.validate(header)
    validator.validate(jobs)
    broken = dict(jobs, evidencepack={**jobs["evidencepack"], "artifacts": {"expire_in": []}})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_template_keeps_pack_summary_and_sarif_as_artifacts() -> None:
    _, jobs = _template_documents()
    hidden = jobs[".evidencepack"]
    assert jobs["evidencepack"] == {"extends": ".evidencepack", "stage": "$[[ inputs.stage ]]"}
    artifacts = hidden["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["expire_in"] == "$[[ inputs.expire-in ]]"
    assert artifacts["expose_as"] == "evidencepack summary"
    assert "evidencepack-output/summary.md" in artifacts["paths"]
    assert "evidencepack-output/evidencepack.sarif" in artifacts["paths"]
    assert "evidencepack-output/store/packs/" in artifacts["paths"]
    assert re.match(r"^python:3\.\d+(-slim)?@sha256:[0-9a-f]{64}$", hidden["image"])


def _scan(folder: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["scan", "workflows", str(folder), "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def _including_project(tmp_path: Path, template: str) -> Path:
    project = tmp_path / "project"
    (project / "ci").mkdir(parents=True)
    (project / "ci" / "evidencepack.gitlab-ci.yml").write_text(template)
    (project / ".gitlab-ci.yml").write_text(
        "stages: [build]\n"
        "include:\n"
        "  - local: ci/evidencepack.gitlab-ci.yml\n"
        "    inputs:\n"
        "      stage: build\n"
    )
    return project


def test_our_gitlab_analysis_finds_no_hardening_problem_in_the_template(tmp_path: Path) -> None:
    report = _scan(_including_project(tmp_path, TEMPLATE.read_text()))
    assert report["files"] == [".gitlab-ci.yml", "ci/evidencepack.gitlab-ci.yml"]
    assert report["findings"] == []

    unpinned = re.sub(r"@sha256:[0-9a-f]{64}", "", TEMPLATE.read_text())
    flagged = _scan(_including_project(tmp_path / "again", unpinned))
    assert {f["rule"] for f in flagged["findings"]} == {"gitlab-image-not-pinned"}


RELEASE_SHA = "0123456789abcdef0123456789abcdef01234567"


def test_init_github_snippet_is_a_clean_workflow_using_the_action(tmp_path: Path) -> None:
    text = GITHUB_SNIPPET.replace(ACTION_REF_PLACEHOLDER, RELEASE_SHA)
    workflow = YAML(typ="safe").load(text)
    _validator("github-workflow.json").validate(workflow)
    steps = workflow["jobs"]["evidence"]["steps"]
    step = next(s for s in steps if s.get("uses", "").startswith("evidencepack/evidencepack@"))
    assert set(step["with"]) <= set(_action()["inputs"])
    folder = tmp_path / "repo" / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "evidence.yml").write_text(text)
    report = _scan(tmp_path / "repo")
    assert report["engine_error"] is None
    # No hardening finding, and no permission the job grants goes unused.
    assert report["findings"] == []


def test_init_gitlab_snippet_is_a_clean_pinned_include(tmp_path: Path) -> None:
    text = GITLAB_SNIPPET.replace(ACTION_REF_PLACEHOLDER, RELEASE_SHA)
    document = YAML(typ="safe").load(text)
    _validator("gitlab-ci.json").validate(document)
    inputs = document["include"][0]["inputs"]
    header, _ = _template_documents()
    assert set(inputs) <= set(header["spec"]["inputs"])
    project = tmp_path / "project"
    project.mkdir()
    (project / ".gitlab-ci.yml").write_text(text)
    assert _scan(project)["findings"] == []
    # The same include by tag would be flagged.
    (project / ".gitlab-ci.yml").write_text(GITLAB_SNIPPET.replace(ACTION_REF_PLACEHOLDER, "v0.1.0"))
    assert {f["rule"] for f in _scan(project)["findings"]} == {"gitlab-remote-include-unpinned"}


def _shellcheck(script: str, tmp_path: Path, name: str) -> None:
    shellcheck = Path(sys.executable).parent / "shellcheck"
    target = tmp_path / name
    target.write_text(script)
    done = subprocess.run([str(shellcheck), "--shell=bash", "--severity=style", str(target)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_shell_text_passes_shellcheck(tmp_path: Path) -> None:
    _shellcheck((ROOT / "scripts" / "action" / "run.sh").read_text(), tmp_path, "run.sh")
    for index, step in enumerate(_action()["runs"]["steps"]):
        if "run" in step:
            _shellcheck(step["run"], tmp_path, f"step-{index}.sh")
    _, jobs = _template_documents()
    _shellcheck("\n".join(jobs[".evidencepack"]["script"]) + "\n", tmp_path, "gitlab.sh")


def test_shellcheck_reports_an_unquoted_input(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="SC2086"):
        _shellcheck('#!/bin/bash\nrm $INPUT_PATH\n', tmp_path, "bad.sh")


@pytest.mark.parametrize(("keyless", "unneeded"), [(True, set()), (False, {"id-token"})])
def test_id_token_is_needed_by_the_action_only_with_keyless(
    keyless: bool, unneeded: set[str], tmp_path: Path
) -> None:
    workflow = (
        "on: push\n"
        "permissions: {}\n"
        "jobs:\n"
        "  evidence:\n"
        "    runs-on: ubuntu-latest\n"
        "    permissions:\n"
        "      contents: read\n"
        "      security-events: write\n"
        "      id-token: write\n"
        "    steps:\n"
        f"      - uses: evidencepack/evidencepack@{RELEASE_SHA} # v0.1.0\n"
        + ("        with:\n          keyless: true\n" if keyless else "")
    )
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "evidence.yml").write_text(workflow)
    findings = _scan(tmp_path)["findings"]
    flagged = {scope for f in findings if f["rule"] == "unneeded-write-scope"
               for scope in ("id-token", "security-events") if f"`{scope}: write`" in f["message"]}
    assert flagged == unneeded
