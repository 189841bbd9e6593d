"""CM-4: automated tests run on every change and are required checks."""

from __future__ import annotations

from ..model import Location, Severity, Status
from ..scanners.pipeline.model import Capability, CapabilityKind
from .base import (
    PLATFORM_API_EVIDENCE,
    Evidence,
    Outcome,
    accept,
    needs_platform,
    unavailable_reason,
)
from .capability import CapabilityControl


def _check_names(tests: tuple[Capability, ...], names: dict[str, str]) -> set[str]:
    """The names a test job's check runs can carry: its id and its `name:`, lower case.

    A name built from an expression (`Test ${{ matrix.os }}`) is matched by its fixed start.
    """
    out: set[str] = set()
    for test in tests:
        out.add(test.job.rsplit("#", 1)[-1].lower())
        name = names.get(test.job, "").split("${{", 1)[0].strip().lower()
        if name:
            out.add(name)
    return out


class AutomatedTests(CapabilityControl):
    id = "CM-4"
    title = "Automated tests run on every change and are required checks"
    criteria = ("CC8.1",)
    iso27001 = ("A.8.29", "A.8.32")
    evidence_needed = (
        "test steps in the pipeline configuration",
        "required status checks of the production branch (platform API)",
    )
    status_rule = (
        "fail when no step runs tests, or when no required status check of a production branch "
        "is a test job; pass when tests run and a test job is a required check of every "
        "production branch; error when the required checks are not observed"
    )
    capability = CapabilityKind.TESTS
    does = "runs tests"

    def still_missing(self, evidence: Evidence) -> str:
        return needs_platform(evidence, "required status checks of the production branch")

    def evaluate(self, evidence: Evidence) -> Outcome:
        outcome = super().evaluate(evidence)
        platform = evidence.platform
        tests = self.declared(evidence)
        if outcome.status is not Status.ERROR or not tests or platform is None:
            return outcome
        files = (*outcome.evidence, *PLATFORM_API_EVIDENCE)
        if platform.platform == "gitlab":
            return self._gitlab(evidence, platform.pipeline_must_succeed, files)
        if not platform.branch_rules:
            return Outcome(Status.ERROR, unavailable_reason(
                evidence, "required status checks", platform.missing("branch")
                + platform.missing("rules")), evidence=outcome.evidence)
        analysis = evidence.pipeline
        jobs = _check_names(tests, dict(analysis.job_names) if analysis else {})
        findings = []
        for rules in platform.branch_rules:
            checks = [c.lower() for c in rules.required_status_checks]
            # Matrix jobs add " (values)", reusable workflows prefix "caller / ".
            if any(check == job or check.startswith((job + " ", job + "(")) or
                   check.endswith("/ " + job) or f"/ {job} " in check
                   for job in jobs for check in checks):
                continue
            findings.append(self.finding(
                "tests-not-required",
                f"{rules.branch} requires {', '.join(rules.required_status_checks) or 'no status check'}"
                f"; none is a test job ({', '.join(sorted(jobs))})", Severity.HIGH,
                Location(f"{platform.platform}:{platform.repository}@{rules.branch}")))
        open_, accepted = accept(self.id, findings, evidence)
        if open_:
            return Outcome(Status.FAIL, open_[0].message, (*open_, *accepted), files)
        return Outcome(Status.PASS, f"tests run in {', '.join(sorted(jobs))} and are required "
                       "checks of every production branch", accepted, files)

    def _gitlab(self, evidence: Evidence, must_succeed: bool | None,
                files: tuple[str, ...]) -> Outcome:
        # GitLab's required check is the merge request's pipeline: "Pipelines must succeed".
        if must_succeed is None:
            return Outcome(Status.ERROR, unavailable_reason(
                evidence, "the project's 'Pipelines must succeed' setting",
                evidence.platform.missing("project") if evidence.platform else ()), evidence=files)
        if must_succeed:
            return Outcome(Status.PASS, "tests run in the pipeline, and merge requests merge only "
                           "when their pipeline succeeded", evidence=files)
        finding = self.finding(
            "tests-not-required", "merge requests may merge although their pipeline failed "
            "('Pipelines must succeed' is off)", Severity.HIGH)
        open_, accepted = accept(self.id, (finding,), evidence)
        status = Status.FAIL if open_ else Status.PASS
        return Outcome(status, finding.message, (*open_, *accepted), files)
