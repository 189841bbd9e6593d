"""LG-1: pipeline logs are kept for the policy's retention."""

from __future__ import annotations

from ..model import Location, Severity, Status
from .base import (
    PLATFORM_API_EVIDENCE,
    Control,
    Evidence,
    Outcome,
    accept,
    needs_platform,
    unavailable_reason,
)


class LogRetention(Control):
    id = "LG-1"
    title = "Pipeline logs kept for the policy's retention"
    criteria = ("CC7.2", "CC2.1")
    iso27001 = ("A.8.15", "A.5.33")
    evidence_needed = (
        "the logs of this run, archived in the pack (platform API)",
        "the platform's log retention setting (platform API)",
    )
    status_rule = (
        "pass when this run's logs are archived in the pack (the store keeps packs for the "
        "audit period) or the platform keeps logs for `logs.retention_days`; fail when the "
        "platform keeps them shorter and they are not in the pack; error when neither is "
        "observed"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        platform = evidence.platform
        if platform is None:
            return Outcome(Status.ERROR, needs_platform(
                evidence, "log retention setting and the logs of this run"))
        days = evidence.policy.logs.retention_days
        if platform.run_logs:
            return Outcome(Status.PASS, f"this run's logs are archived in the pack "
                           f"({platform.run_logs}), which outlives the platform's "
                           f"{platform.log_retention_days or 'default'}-day retention",
                           evidence=(platform.run_logs, *PLATFORM_API_EVIDENCE))
        kept = platform.log_retention_days
        if kept is None:
            return Outcome(Status.ERROR, unavailable_reason(
                evidence, "log retention and this run's logs",
                platform.missing("artifact and log") + platform.missing("logs")))
        if kept >= days:
            return Outcome(Status.PASS, f"the platform keeps logs {kept} days (policy: {days})",
                           evidence=PLATFORM_API_EVIDENCE)
        where = Location(f"{platform.platform}:{platform.repository}")
        finding = self.finding(
            "logs-expire-early", f"logs are kept {kept} days, the policy requires {days}, and "
            "this run's logs are not archived in the pack", Severity.HIGH, where)
        open_, accepted = accept(self.id, (finding,), evidence)
        if not open_:
            return Outcome(Status.NOT_APPLICABLE, f"{finding.message}; accepted by the policy: "
                           f"{accepted[0].allowed_by}", accepted, PLATFORM_API_EVIDENCE)
        return Outcome(Status.FAIL, finding.message, open_, PLATFORM_API_EVIDENCE)
