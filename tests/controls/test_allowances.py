"""Accepted findings: recorded with their reason, never turning missing evidence into pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from evidencepack.cli import main


def _results(repo: Path, store: Path) -> dict[str, dict[str, object]]:
    import json

    out = CliRunner().invoke(main, ["run", str(repo), "--store", str(store), "--format", "json"])
    pack = Path(json.loads(out.stdout)["pack"])
    controls = json.loads((pack / "controls" / "results.json").read_text())["controls"]
    return {c["id"]: c for c in controls}


def test_allowances_accept_expire_and_match_the_policy_path(
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None
) -> None:
    repo = fixture_repo("github-insecure")
    (repo / "evidencepack.yml").write_text(
        "allow:\n"
        "  - control: IN-2\n    rule: no-sbom\n    reason: the site ships no dependencies\n"
        "  - control: HD-1\n    rule: zizmor/unpinned-uses\n    path: .github/workflows/\n"
        "    reason: pinned by the next change, PLAT-12\n    expires: 2099-01-01\n"
        "  - control: AC-1\n    reason: legacy deploy user, removed in Q3\n"
        "    expires: 2020-01-01\n"
        "  - control: DOC-1\n    path: evidencepack.yml\n    reason: the written policy is ahead\n"
    )
    results = _results(repo, tmp_path / "s")

    in2 = results["IN-2"]
    assert in2["status"] == "not_applicable"
    assert "accepted by the policy: the site ships no dependencies" in str(in2["rationale"])

    hd1 = results["HD-1"]
    findings = hd1["findings"]
    assert isinstance(findings, list)
    unpinned = [f for f in findings if f["rule"] == "zizmor/unpinned-uses"]
    assert unpinned and all(f["allowed_by"] == "pinned by the next change, PLAT-12"
                            for f in unpinned)
    assert hd1["status"] == "fail"  # the other hardening findings are still open

    ac1 = results["AC-1"]
    assert ac1["status"] == "fail"
    rules = [f["rule"] for f in ac1["findings"]]  # type: ignore[union-attr]
    assert "allowance-expired" in rules

    doc1 = results["DOC-1"]
    assert doc1["status"] == "error"  # accepted differences, and platform values unobserved
    assert all(f["allowed_by"] == "the written policy is ahead"
               for f in doc1["findings"])  # type: ignore[union-attr]
