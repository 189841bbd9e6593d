"""CM-4: automated tests run on every change and are required checks."""

from __future__ import annotations

from ..model import Location, Severity, Status
from ..scanners.pipeline.model import Capability, CapabilityKind
from .base import PLATFORM_API_EVIDENCE, Evidence, Outcome, needs_platform, unavailable_reason
from .capability import CapabilityControl


def _job_id(capability: Capability) -> str:
    return capability.job.rsplit("#", 1)[-1].lower()


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
        if not platform.branch_rules:
            return Outcome(Status.ERROR, unavailable_reason(
                evidence, "required status checks", platform.missing("branch")
                + platform.missing("rules")), evidence=outcome.evidence)
        jobs = {_job_id(t) for t in tests}
        findings = []
        for rules in platform.branch_rules:
            checks = [c.lower() for c in rules.required_status_checks]
            if any(job == check or check.startswith(job + " ") or f"/ {job}" in check
                   or job in check for job in jobs for check in checks):
                continue
            findings.append(self.finding(
                "tests-not-required",
                f"{rules.branch} requires {', '.join(rules.required_status_checks) or 'no status check'}"
                f"; none is a test job ({', '.join(sorted(jobs))})", Severity.HIGH,
                Location(f"{platform.platform}:{platform.repository}@{rules.branch}")))
        files = (*outcome.evidence, *PLATFORM_API_EVIDENCE)
        if findings:
            return Outcome(Status.FAIL, findings[0].message, tuple(findings), files)
        return Outcome(Status.PASS, f"tests run in {', '.join(sorted(jobs))} and are required "
                       "checks of every production branch", evidence=files)
