"""zizmor as the GitHub Actions hardening engine: real runs, and the ways a run fails."""

from __future__ import annotations

import json
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest

from evidencepack.model import Location, Severity
from evidencepack.scanners.pipeline import zizmor
from evidencepack.scanners.pipeline.zizmor import NOT_FOUND, find_zizmor, run_zizmor

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "github"
WORKFLOW = ".github/workflows/check.yml"


def checkout(tmp_path: Path, fixture: str) -> Path:
    """A repository root holding `fixture` as its only workflow."""
    target = tmp_path / WORKFLOW
    target.parent.mkdir(parents=True)
    shutil.copyfile(FIXTURES / fixture, target)
    return tmp_path


def fake_zizmor(tmp_path: Path, body: str) -> str:
    """An executable standing in for zizmor; `--version` answers like the real one."""
    script = tmp_path / "bin" / "zizmor"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, time\n"
        "if sys.argv[1:] == ['--version']:\n"
        "    print('zizmor 9.9.9')\n"
        "    sys.exit(0)\n"
        f"{body}\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_the_installed_binary_is_found() -> None:
    assert find_zizmor() is not None


def test_real_run_reports_unpinned_action_and_template_injection(tmp_path: Path) -> None:
    root = checkout(tmp_path, "unpinned-and-injection.yml")
    run = run_zizmor(root, [WORKFLOW])
    assert run.error is None
    assert re.fullmatch(r"\d+\.\d+\.\d+", run.version)
    by_rule = {f.rule: f for f in run.findings}
    assert by_rule.keys() >= {"zizmor/unpinned-uses", "zizmor/template-injection"}

    unpinned = by_rule["zizmor/unpinned-uses"]
    assert unpinned.location == Location(WORKFLOW, 10, 15)
    assert unpinned.severity is Severity.HIGH
    assert unpinned.confidence == "high"
    assert unpinned.source == "zizmor"
    assert unpinned.help_uri == "https://docs.zizmor.sh/audits/#unpinned-uses"
    assert unpinned.message.startswith("unpinned action reference: ")

    injection = by_rule["zizmor/template-injection"]
    assert injection.location == Location(WORKFLOW, 16, 21)
    assert injection.severity is Severity.HIGH
    assert injection.message == (
        "code injection via template expansion: may expand into attacker-controllable code"
    )
    assert isinstance(json.loads(run.raw), list)


def test_inline_ignore_comments_do_not_hide_findings(tmp_path: Path) -> None:
    # An exception needs a recorded reason (the policy's `allow:`), not a silent comment.
    root = checkout(tmp_path, "zizmor-ignore-comment.yml")
    (root / "zizmor.yml").write_text("rules:\n  unpinned-uses:\n    disable: true\n")
    run = run_zizmor(root, [WORKFLOW])
    assert run.error is None
    assert "zizmor/unpinned-uses" in {f.rule for f in run.findings}


def test_a_workflow_zizmor_rejects_is_an_error_not_a_clean_audit(tmp_path: Path) -> None:
    target = tmp_path / WORKFLOW
    target.parent.mkdir(parents=True)
    target.write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps: nope\n")
    run = run_zizmor(tmp_path, [WORKFLOW])
    assert run.findings == ()
    assert run.error is not None
    assert run.error.startswith("zizmor audited none of the 1 workflow(s) given")
    assert "\n" not in run.error
    assert run.skipped == (WORKFLOW,)


def test_missing_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(zizmor, "find_zizmor", lambda: None)
    run = run_zizmor(tmp_path, [WORKFLOW])
    assert run.error == NOT_FOUND
    assert run.findings == ()


def test_bogus_binary_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(zizmor, "find_zizmor", lambda: str(tmp_path / "no" / "zizmor"))
    run = run_zizmor(tmp_path, [WORKFLOW])
    assert run.error is not None
    assert run.error.startswith("zizmor could not be started")
    assert run.findings == ()
    assert run.version == ""


def test_unexpected_exit_code_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    binary = fake_zizmor(tmp_path, "print('fatal: boom', file=sys.stderr)\nsys.exit(1)")
    monkeypatch.setattr(zizmor, "find_zizmor", lambda: binary)
    run = run_zizmor(tmp_path, [WORKFLOW])
    assert run.error == "zizmor failed (exit 1): boom"
    assert run.version == "9.9.9"


def test_timeout_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    binary = fake_zizmor(tmp_path, "time.sleep(30)")
    monkeypatch.setattr(zizmor, "find_zizmor", lambda: binary)
    run = run_zizmor(tmp_path, [WORKFLOW], timeout=0.5)
    assert run.error == "zizmor timed out after 0.5 seconds"


def test_report_conversion(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    absolute = str(tmp_path.resolve() / "sub" / "w.yml")

    def item(ident: str, severity: str, path: str, ignored: bool = False) -> dict[str, object]:
        primary = {
            "symbolic": {"key": {"Local": {"verbatim_path": path}}, "annotation": "",
                         "kind": "Primary"},
            "concrete": {"location": {"start_point": {"row": 0, "column": 0}}},
        }
        related = {"symbolic": {"kind": "Related", "annotation": "elsewhere"}, "concrete": {}}
        return {
            "ident": ident, "desc": f"{ident} description", "url": None,
            "determinations": {"confidence": "Low", "severity": severity},
            "locations": [related, primary], "ignored": ignored,
        }

    report = [
        item("a", "Informational", "./.github/workflows/x.yml"),
        item("b", "Unknown", absolute),
        item("c", "High", WORKFLOW, ignored=True),
        {"desc": "no ident"},
    ]
    binary = fake_zizmor(tmp_path, f"print({json.dumps(json.dumps(report))})\nsys.exit(11)")
    monkeypatch.setattr(zizmor, "find_zizmor", lambda: binary)
    run = run_zizmor(tmp_path, [WORKFLOW])
    assert run.error is None
    assert [(f.rule, f.severity, f.location, f.message, f.confidence) for f in run.findings] == [
        ("zizmor/a", Severity.INFO, Location(".github/workflows/x.yml", 1, 1),
         "a description", "low"),
        ("zizmor/b", Severity.INFO, Location("sub/w.yml", 1, 1), "b description", "low"),
        ("zizmor/c", Severity.HIGH, Location(WORKFLOW, 1, 1),
         "c description (a zizmor ignore comment is not an accepted exception: use the "
         "policy's allow list)", "low"),
    ]
