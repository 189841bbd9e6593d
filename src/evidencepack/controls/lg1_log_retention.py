"""LG-1: pipeline logs are kept for the policy's retention."""

from __future__ import annotations

from .platform_only import PlatformControl


class LogRetention(PlatformControl):
    id = "LG-1"
    title = "Pipeline logs kept for the policy's retention"
    criteria = ("CC7.2", "CC2.1")
    iso27001 = ("A.8.15", "A.5.33")
    evidence_needed = (
        "log and artifact retention setting (platform API)",
        "the logs of this run, archived in the pack (platform API)",
    )
    status_rule = (
        "pass when this run's logs are archived in the pack (which the store keeps for "
        "`logs.retention_days`) or the platform keeps them that long; error without platform "
        "evidence"
    )
    not_observed = "log retention setting and the logs of this run"
