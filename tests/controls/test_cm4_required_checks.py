"""CM-4 matches required status checks to the jobs that run tests, by id or by name."""

from __future__ import annotations

from datetime import date

import pytest

from evidencepack.controls.base import Evidence
from evidencepack.controls.registry import control, evaluate
from evidencepack.model import Location, Subject
from evidencepack.policy import default_policy
from evidencepack.scanners.pipeline.model import (
    Capability,
    CapabilityKind,
    ConfigFile,
    ConfigKind,
    PipelineAnalysis,
)
from evidencepack.sources.platform import BranchRules, PlatformEvidence
from evidencepack.yamltree import YMap

JOB = ".github/workflows/ci.yml#unit"


def _evidence(required: tuple[str, ...], name: str) -> Evidence:
    pipeline = PipelineAnalysis(
        files=(ConfigFile(".github/workflows/ci.yml", ConfigKind.GITHUB_WORKFLOW, 1, "0" * 64,
                          True, False, text="x", document=YMap((1, 1))),),
        capabilities=(Capability(CapabilityKind.TESTS, Location(".github/workflows/ci.yml", 9),
                                 "pytest", JOB),),
        job_names=((JOB, name),),
    )
    platform = PlatformEvidence(
        platform="github", repository="acme/shop", api_url="https://api.github.com",
        branch_rules=(BranchRules("main", True, ("classic",), 1, required_status_checks=required),),
    )
    return Evidence(subject=Subject(repository="acme/shop", commit="a" * 40, platform="github"),
                    policy=default_policy(), today=date(2026, 11, 26), pipeline=pipeline,
                    platform=platform)


@pytest.mark.parametrize(
    ("required", "name", "status"),
    [
        (("unit",), "unit", "pass"),
        (("Unit tests",), "Unit tests", "pass"),
        (("Unit tests (ubuntu-latest, 3.12)",), "Unit tests", "pass"),
        (("ci / unit",), "unit", "pass"),
        (("Test ubuntu",), "Test ${{ matrix.os }}", "pass"),
        (("lint",), "Unit tests", "fail"),
        (("community",), "unit", "fail"),
        ((), "unit", "fail"),
    ],
)
def test_required_checks_against_test_jobs(required: tuple[str, ...], name: str, status: str) -> None:
    result = evaluate(control("CM-4"), _evidence(required, name))
    assert result.status == status, result.rationale
