"""IN-1: build artifacts signed."""

from __future__ import annotations

from ..model import Status
from ..scanners.pipeline.model import CapabilityKind
from .base import Evidence, Outcome, no_pipeline, pipeline_evidence
from .capability import CapabilityControl


class ArtifactSigning(CapabilityControl):
    id = "IN-1"
    title = "Build artifacts signed"
    criteria = ("CC8.1", "CC6.8")
    iso27001 = ("A.8.24", "A.8.32")
    evidence_needed = (
        "a signing step in the pipeline",
        "the artifacts of this run and their signatures",
    )
    status_rule = (
        "fail when the pipeline publishes or deploys but signs nothing; pass when every "
        "artifact of the run is signed; not_applicable when the pipeline neither signs, "
        "publishes nor deploys; error when the run's artifacts are not in the pack"
    )
    capability = CapabilityKind.SIGNING
    does = "signs artifacts"
    gap = "no artifact of this run was given to the pack, so no signature was checked"

    def evaluate(self, evidence: Evidence) -> Outcome:
        missing = no_pipeline(evidence)
        if missing:
            return missing
        assert evidence.pipeline is not None
        if not self.declared(evidence) and not evidence.pipeline.deploy_jobs \
                and not evidence.pipeline.parse_errors:
            return Outcome(
                Status.NOT_APPLICABLE,
                "the pipeline neither signs, publishes nor deploys anything",
                evidence=pipeline_evidence(evidence),
            )
        return super().evaluate(evidence)
