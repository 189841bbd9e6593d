"""CM-4: automated tests run on every change and are required checks."""

from __future__ import annotations

from ..scanners.pipeline.model import CapabilityKind
from .base import Evidence, needs_platform
from .capability import CapabilityControl


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
        "fail when no step runs tests; pass when tests run and their jobs are required status "
        "checks of the production branch; error when the required checks are not observed"
    )
    capability = CapabilityKind.TESTS
    does = "runs tests"

    def still_missing(self, evidence: Evidence) -> str:
        return needs_platform(evidence, "required status checks of the production branch")
