"""The README's promises: the two commands, the snippets, the policy, the auditor recipe."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from evidencepack.policy import DEFAULT_POLICY_TEXT
from evidencepack.run import RunOutcome
from evidencepack.snippets import GITHUB_SNIPPET, GITLAB_SNIPPET

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL)


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    first, second = _blocks(README)[:2]
    assert "evidencepack run" in first
    assert second.strip() == "bash scripts/test.sh"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "exec bash scripts/test.sh" in ci
    script = (ROOT / "scripts" / "test.sh").read_text()
    for step in ("ruff check", "mypy --strict src", "pytest"):
        assert step in script


def test_readme_snippets_and_policy_are_the_ones_the_tool_prints() -> None:
    blocks = _blocks(README)
    assert GITHUB_SNIPPET in blocks
    assert GITLAB_SNIPPET in blocks
    assert DEFAULT_POLICY_TEXT in blocks


def test_auditor_recipe_verifies_a_real_pack_and_catches_tampering(
    built_pack: RunOutcome, tmp_path: Path
) -> None:
    match = re.search(r"<!-- auditor-recipe -->\n```sh\n(.*?)```", README, flags=re.DOTALL)
    assert match, "the README has lost its auditor recipe"
    recipe = "set -e\n" + match.group(1)
    assert built_pack.store is not None
    key = built_pack.store.keys_dir / "signing.pub"
    pack = tmp_path / "pack"
    shutil.copytree(built_pack.pack.directory, pack)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", recipe], cwd=pack, env={"KEY": str(key),
                              "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                              check=False)

    good = run()
    assert good.returncode == 0, good.stderr
    assert "Verified OK" in good.stdout
    assert "no missing or extra files" in good.stdout
    assert good.stdout.count(": OK") == len(list(pack.rglob("*.*"))) - 1

    (pack / "report.html").write_text("edited")
    edited = run()
    assert edited.returncode != 0
    assert "report.html: FAILED" in edited.stdout

    shutil.rmtree(pack)
    shutil.copytree(built_pack.pack.directory, pack)
    (pack / "evidence" / "planted.txt").write_text("x")
    extra = run()
    assert extra.returncode != 0 and "planted.txt" in extra.stdout
