"""MO-1: pipeline outcomes are recorded and failures alerted."""

from __future__ import annotations

from collections import Counter

from ..model import Severity, Status
from ..scanners.pipeline.model import CapabilityKind
from .base import (
    PLATFORM_API_EVIDENCE,
    Control,
    Evidence,
    Outcome,
    accept,
    needs_platform,
    pipeline_evidence,
    unavailable_reason,
    where,
)


class PipelineMonitoring(Control):
    id = "MO-1"
    title = "Pipeline status monitored: outcomes recorded, failures alerted"
    criteria = ("CC7.2", "CC4.1")
    iso27001 = ("A.8.16",)
    evidence_needed = (
        "outcomes of the production branch's runs over `monitoring.window_days` (platform API)",
        "a notification on failure in the pipeline, or the policy's declared alert channel",
    )
    status_rule = (
        "pass when run outcomes for the window are recorded and failures are alerted (a "
        "failure notification in the pipeline or `monitoring.alert_channel`); fail when "
        "failures are not alerted; error without platform evidence"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        days = evidence.policy.monitoring.window_days
        alerts = evidence.pipeline.has(CapabilityKind.FAILURE_ALERT) if evidence.pipeline else ()
        channel = evidence.policy.monitoring.alert_channel
        if alerts:
            alerting = f"failure alerts configured at {where(a.location for a in alerts)}"
        elif channel:
            alerting = f"failures declared alerted via {channel}"
        else:
            alerting = ""
        platform = evidence.platform
        files = (*PLATFORM_API_EVIDENCE, *(pipeline_evidence(evidence) if evidence.pipeline else ()))
        if platform is None or platform.runs is None:
            what = f"outcomes of the production branch's runs over {days} days"
            reason = (needs_platform(evidence, what) if platform is None
                      else unavailable_reason(evidence, what, platform.missing("workflow runs")
                                              + platform.missing("pipelines")))
            suffix = f"; {alerting}" if alerting else "; no failure notification found in the pipeline"
            return Outcome(Status.ERROR, reason + suffix, evidence=files)
        outcomes = Counter(run.conclusion or run.status or "unknown" for run in platform.runs)
        summary = ", ".join(f"{n} {state}" for state, n in outcomes.most_common()) or "no runs"
        if not alerting:
            finding = self.finding(
                "failures-not-alerted", "no job notifies on failure and the policy declares no "
                "alert channel (monitoring.alert_channel)", Severity.MEDIUM)
            open_, accepted = accept(self.id, (finding,), evidence)
            if open_:
                return Outcome(Status.FAIL, f"{len(platform.runs)} runs recorded over {days} "
                               f"days ({summary}), but failures are not alerted", open_, files)
            return Outcome(Status.NOT_APPLICABLE, f"{len(platform.runs)} runs recorded; failure "
                           f"alerting accepted as absent by the policy: {accepted[0].allowed_by}",
                           accepted, files)
        return Outcome(Status.PASS, f"{len(platform.runs)} runs recorded over {days} days "
                       f"({summary}); {alerting}", evidence=files)
