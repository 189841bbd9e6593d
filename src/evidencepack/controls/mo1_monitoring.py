"""MO-1: pipeline outcomes are recorded and failures alerted."""

from __future__ import annotations

from ..scanners.pipeline.model import CapabilityKind
from .base import Evidence, Outcome, pipeline_evidence, where
from .platform_only import PlatformControl


class PipelineMonitoring(PlatformControl):
    id = "MO-1"
    title = "Pipeline status monitored: outcomes recorded, failures alerted"
    criteria = ("CC7.2", "CC4.1")
    iso27001 = ("A.8.16",)
    evidence_needed = (
        "outcomes of the production branch's runs over `monitoring.window_days` (platform API)",
        "a notification on failure in the pipeline, or the policy's declared alert channel",
    )
    status_rule = (
        "pass when run outcomes for the window are recorded and failures are alerted; error "
        "without platform evidence"
    )

    def missing(self, evidence: Evidence) -> str:
        days = evidence.policy.monitoring.window_days
        return f"outcomes of the production branch's runs over {days} days"

    def evaluate(self, evidence: Evidence) -> Outcome:
        outcome = super().evaluate(evidence)
        alerts = evidence.pipeline.has(CapabilityKind.FAILURE_ALERT) if evidence.pipeline else ()
        if alerts:
            found = where(a.location for a in alerts)
            rationale = f"{outcome.rationale}; failure alerts configured at {found}"
        elif evidence.policy.monitoring.alert_channel:
            rationale = (
                f"{outcome.rationale}; failures declared alerted via "
                f"{evidence.policy.monitoring.alert_channel}"
            )
        else:
            rationale = f"{outcome.rationale}; no failure notification found in the pipeline"
        return Outcome(outcome.status, rationale,
                       evidence=pipeline_evidence(evidence) if evidence.pipeline else ())

