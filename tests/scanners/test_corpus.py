"""Every real workflow and GitLab file of the shared corpus, analysed without a crash.

The findings are kept as a golden file; regenerate it on purpose with
`EVIDENCEPACK_UPDATE_GOLDEN=1 pytest tests/scanners/test_corpus.py`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from evidencepack.policy import default_policy
from evidencepack.scanners.pipeline import analyze_pipeline
from evidencepack.scanners.pipeline.findings import workflow_findings
from evidencepack.sources.repository import open_tree

TESTS = Path(__file__).resolve().parents[1]
SHARED = TESTS.parent.parent / "shared" / "data"
GOLDEN = TESTS / "golden" / "corpus-findings.json"

pytestmark = pytest.mark.skipif(not (SHARED / "workflows").is_dir(),
                                reason="the shared data corpus is not next to the repository")


def _summary(root: Path) -> dict[str, Any]:
    report = analyze_pipeline(open_tree(root), default_policy())
    analysis = report.analysis
    assert analysis.hardening_error is None, analysis.hardening_error
    return {
        "findings": sorted(
            f"{f.location.path if f.location else '-'}:{f.location.line if f.location else 0} "
            f"{f.severity} {f.rule}"
            for f in workflow_findings(analysis)
        ),
        "capabilities": sorted(f"{c.location.path}:{c.location.line} {c.kind} {c.detail}"
                               for c in analysis.capabilities),
        "cloud_access": sorted(f"{a.location.path}:{a.location.line} {a.provider} {a.method}"
                               for a in analysis.cloud_access),
        "deploy_jobs": sorted(f"{d.job} verified={d.verification is not None}"
                              for d in analysis.deploy_jobs),
    }


def test_corpus_findings_match_the_golden_file(tmp_path: Path) -> None:
    workflows = sorted(p for p in (SHARED / "workflows").iterdir() if p.suffix in (".yml", ".yaml"))
    github = tmp_path / "github"
    (github / ".github" / "workflows").mkdir(parents=True)
    for path in workflows:
        shutil.copyfile(path, github / ".github" / "workflows" / path.name)
    result: dict[str, Any] = {"github": _summary(github)}
    for path in sorted((SHARED / "gitlab-ci").glob("*.yml")):
        root = tmp_path / "gitlab" / path.stem
        root.mkdir(parents=True)
        shutil.copyfile(path, root / ".gitlab-ci.yml")
        result[f"gitlab/{path.name}"] = _summary(root)
    assert len(workflows) >= 80
    text = json.dumps(result, indent=1, sort_keys=True) + "\n"
    if os.environ.get("EVIDENCEPACK_UPDATE_GOLDEN") == "1" or not GOLDEN.exists():
        GOLDEN.write_text(text, encoding="utf-8")
    assert json.loads(GOLDEN.read_text(encoding="utf-8")) == result
