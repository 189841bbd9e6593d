"""`run --sarif` and `run --summary-markdown` on real Git repositories."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
from click.testing import CliRunner, Result

from evidencepack.cli import main
from evidencepack.formats.sarif import REPOSITORY_LEVEL_URI

WORKFLOW = """\
on: pull_request_target
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""

POLICY = """\
version: 1
allow:
  - control: HD-1
    rule: zizmor/unpinned-uses
    path: .github/workflows/build.yml
    reason: "Checkout is pinned by the organisation's allow-list"
    expires: 2999-01-01
"""


def _invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _run(repo: Path, tmp_path: Path, *extra: str | Path) -> tuple[Result, dict[str, Any], str, str]:
    sarif, summary = tmp_path / "out.sarif", tmp_path / "summary.md"
    result = _invoke("run", repo, "--store", tmp_path / "store", "--format", "json",
                     "--sarif", sarif, "--summary-markdown", summary, *extra)
    return (result, json.loads(result.stdout), sarif.read_text(encoding="utf-8"),
            summary.read_text(encoding="utf-8"))


def _results(out: dict[str, Any]) -> list[dict[str, Any]]:
    document = json.loads((Path(out["pack"]) / "controls" / "results.json").read_text())
    controls: list[dict[str, Any]] = document["controls"]
    return controls


def test_sarif_holds_every_open_finding_valid_and_redacted(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None,
    sarif_schema: jsonschema.protocols.Validator, planted_token: str,
) -> None:
    repo = make_repo({
        ".github/workflows/build.yml": WORKFLOW,
        "evidencepack.yml": POLICY,
        "config/app.env": f"GITHUB_TOKEN={planted_token}\n",
    })
    result, out, sarif_text, summary = _run(repo, tmp_path)
    assert result.exit_code == 0, result.output

    assert planted_token not in sarif_text and planted_token not in summary
    log = json.loads(sarif_text)
    sarif_schema.validate(log)
    run = log["runs"][0]
    results = run["results"]

    # The pack's own results file says which findings are open: all of them, and only them.
    expected = {
        (f["rule"], (f["location"] or {}).get("path"))
        for control in _results(out) for f in control["findings"] if f["allowed_by"] is None
    }
    seen = {
        (r["ruleId"], None if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
         == REPOSITORY_LEVEL_URI else r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in results
    }
    assert seen == expected
    assert ("zizmor/unpinned-uses", ".github/workflows/build.yml") not in seen  # accepted
    assert ("zizmor/template-injection", ".github/workflows/build.yml") in seen
    secret = [r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
              == "config/app.env"]
    assert secret and secret[0]["ruleId"] == "secret/github-pat-classic"
    assert "ghp_" in secret[0]["message"]["text"]

    rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    for r in results:
        assert r["ruleId"] in rule_ids
        location = r["locations"][0]["physicalLocation"]
        assert not location["artifactLocation"]["uri"].startswith(("/", "file:"))
        assert location["region"]["startLine"] >= 1
        assert len(r["partialFingerprints"]["primaryLocationLineHash"]) > 16
    assert out["controls"]["AC-4"] == "fail"
    assert "| AC-4 | " in summary and "**`FAIL`**" in summary


def test_summary_names_the_pack_written(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None,
) -> None:
    repo = make_repo({"README.md": "hello\n"})
    result, out, _, summary = _run(repo, tmp_path)
    assert result.exit_code == 0, result.output
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                            text=True, check=True).stdout.strip()
    assert summary.startswith(f"## evidencepack: acme/shop@{commit[:12]}\n")
    assert f"`{out['archive']}`" in summary and f"`{out['id']}`" in summary
    assert f"evidencepack verify {out['id']}.tar.gz --key signing.pub" in summary
    # The header, the separator, and one row per control.
    assert summary.count("\n| ") == 2 + len(out["controls"])


def test_unwritable_report_path_is_a_one_line_error(
    make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None,
) -> None:
    repo = make_repo({"README.md": "hello\n"})
    result = _invoke("run", repo, "--store", tmp_path / "store",
                     "--sarif", tmp_path / "missing" / "out.sarif")
    assert result.exit_code == 2
    assert result.stderr.startswith("evidencepack: error: --sarif ")
    assert "cannot write" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "store" / "packs").exists()  # refused before any pack was built

    folder = _invoke("run", repo, "--store", tmp_path / "store", "--summary-markdown", tmp_path)
    assert folder.exit_code == 2 and "is a directory" in folder.stderr
