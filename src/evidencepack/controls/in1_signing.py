"""IN-1: build artifacts signed."""

from __future__ import annotations

from ..model import Severity, Status
from ..pack.artifacts import PUBLIC_KEY
from ..scanners.pipeline.model import CapabilityKind
from .base import Evidence, Outcome, no_pipeline, pipeline_evidence, plural
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
        "pass when artifacts were given to the run and every one is signed (its signature "
        "verifies); fail when a given artifact's signature does not verify, or when none was "
        "given and the pipeline publishes or deploys but signs nothing; not_applicable when "
        "none was given and the pipeline neither signs, publishes nor deploys; error when none "
        "was given but the pipeline signs"
    )
    capability = CapabilityKind.SIGNING
    does = "signs artifacts"
    gap = ("no artifact of this run was given to the pack (evidencepack run --artifact), so no "
           "signature was checked")

    def evaluate(self, evidence: Evidence) -> Outcome:
        if evidence.artifacts:
            return self._given(evidence)
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

    def _given(self, evidence: Evidence) -> Outcome:
        """The run's own artifacts decide: each must carry a signature that verifies."""
        files = tuple(sorted({PUBLIC_KEY, *(f for a in evidence.artifacts
                                             for f in (a.provenance, a.signature))}))
        bad = [a for a in evidence.artifacts if not a.signature_verified]
        count = plural(len(evidence.artifacts), "artifact")
        if bad:
            findings = tuple(
                self.finding("artifact-signature-invalid",
                             f"the signature of artifact {a.artifact.name} ({a.signature}) does "
                             "not verify against its sha256", Severity.HIGH)
                for a in bad
            )
            return Outcome(Status.FAIL, f"{len(bad)} of {count} of this run carry a signature "
                           f"that does not verify ({', '.join(a.artifact.name for a in bad[:3])})",
                           findings, files)
        kinds = sorted({"Sigstore bundle" if a.signature.endswith(".sigstore.json")
                        else "cosign blob signature" for a in evidence.artifacts})
        which = ("the artifact of this run is" if len(evidence.artifacts) == 1
                 else f"all {count} of this run are")
        return Outcome(Status.PASS, f"{which} signed ({' and '.join(kinds)}, verified) and "
                       "carry signed SLSA provenance", evidence=files)
