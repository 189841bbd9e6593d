"""Missing evidence is never `pass`: a property test over every control."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidencepack.controls.base import Evidence
from evidencepack.controls.registry import CONTROLS, evaluate
from evidencepack.model import Finding, Location, Severity, Status, Subject
from evidencepack.policy import default_policy
from evidencepack.scanners.pipeline.model import (
    Capability,
    CapabilityKind,
    CloudAccess,
    CloudMethod,
    ConfigFile,
    ConfigKind,
    DeployJob,
    PipelineAnalysis,
)
from evidencepack.yamltree import YMap

# Controls whose status can rest on the configuration alone; all others need platform or
# run-time evidence that an offline run does not have.
CONFIG_ONLY = {"AC-1", "AC-2", "HD-1", "IN-3"}

locations = st.builds(Location, st.sampled_from([".github/workflows/ci.yml", ".gitlab-ci.yml"]),
                      st.integers(1, 500), st.integers(1, 80))
severities = st.sampled_from(list(Severity))
findings = st.builds(Finding, st.sampled_from(["write-all", "zizmor/unpinned-uses", "x"]),
                     st.text(max_size=20), severities, locations)
capabilities = st.builds(Capability, st.sampled_from(list(CapabilityKind)), locations,
                         st.text(max_size=10), st.just("ci.yml#job"))
cloud = st.builds(CloudAccess, st.sampled_from(["aws", "gcp", "azure"]),
                  st.sampled_from(list(CloudMethod)), locations, st.text(max_size=10))
deploys = st.builds(DeployJob, st.just("ci.yml#deploy"), locations, st.text(max_size=10),
                    st.none() | st.just("production"), st.none() | locations,
                    st.lists(st.sampled_from(["main", "*", "dev"]), max_size=2).map(tuple))


def _file(kind: ConfigKind, parsed: bool) -> ConfigFile:
    path = ".gitlab-ci.yml" if kind is ConfigKind.GITLAB_CI else ".github/workflows/ci.yml"
    error = None if parsed else Finding("invalid-yaml", f"{path}:3:1: bad", Severity.HIGH,
                                        Location(path, 3, 1))
    return ConfigFile(path, kind, 10, "0" * 64, True, False, text="x",
                      document=YMap((1, 1)) if parsed else None, error=error)


files = st.lists(
    st.builds(_file, st.sampled_from([ConfigKind.GITHUB_WORKFLOW, ConfigKind.GITLAB_CI]),
              st.booleans()),
    max_size=3,
)

pipelines = st.builds(
    PipelineAnalysis,
    files=files.map(tuple),
    cloud_access=st.lists(cloud, max_size=3).map(tuple),
    permission_findings=st.lists(findings, max_size=3).map(tuple),
    hardening=st.lists(findings, max_size=3).map(tuple),
    hardening_error=st.none() | st.just("zizmor crashed"),
    capabilities=st.lists(capabilities, max_size=8).map(tuple),
    deploy_jobs=st.lists(deploys, max_size=2).map(tuple),
)

SUBJECT = Subject(repository="acme/shop", commit="a" * 40, platform="github")


def _evidence(pipeline: PipelineAnalysis | None) -> Evidence:
    return Evidence(subject=SUBJECT, policy=default_policy(), today=date(2026, 11, 26),
                    pipeline=pipeline, pipeline_error=None if pipeline else "not analysed")


def test_no_control_passes_without_any_evidence() -> None:
    for control in CONTROLS:
        result = evaluate(control, _evidence(None))
        assert result.status is Status.ERROR, (control.id, result)
        assert result.rationale


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(pipeline=pipelines)
def test_no_control_passes_on_missing_evidence(pipeline: PipelineAnalysis) -> None:
    evidence = _evidence(pipeline)
    unreadable = any(f.error for f in pipeline.files)
    for control in CONTROLS:
        result = evaluate(control, evidence)
        assert "could not be evaluated" not in result.rationale, (control.id, result.rationale)
        if result.status is not Status.PASS:
            continue
        # A pass is only possible for configuration-only controls, with every file read.
        assert control.id in CONFIG_ONLY, (control.id, result)
        assert pipeline.pipeline_files, (control.id, result)
        assert not unreadable, (control.id, result)
        if control.id == "HD-1":
            assert pipeline.hardening_error is None


def test_ac4_is_error_when_the_platform_was_asked_but_not_read() -> None:
    """A clean scan alone passes AC-4 only when no token was given; with a token whose
    platform could not be read, the push-protection settings are unknown."""
    from dataclasses import replace

    from evidencepack.scanners.secrets.scan import ScanResult

    clean = ScanResult("worktree", None, None, 3, 120, 0, {}, (), 113)
    evidence = replace(_evidence(None), secret_scan=clean)
    control = next(c for c in CONTROLS if c.id == "AC-4")
    assert evaluate(control, evidence).status is Status.PASS
    unread = replace(evidence, platform_error="the repository's path on the platform is unknown")
    result = evaluate(control, unread)
    assert result.status is Status.ERROR
    assert "secret scanning and push protection settings not observed" in result.rationale
