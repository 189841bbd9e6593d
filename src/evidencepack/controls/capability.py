"""Controls that need the pipeline to declare a capability, and run-time evidence besides."""

from __future__ import annotations

from typing import ClassVar

from ..model import Severity, Status
from ..scanners.pipeline.model import Capability, CapabilityKind
from .base import (
    Control,
    Evidence,
    Outcome,
    accept,
    expired_allowances,
    no_pipeline,
    pipeline_evidence,
    unparsed,
    where,
)


class CapabilityControl(Control):
    """Fails when the pipeline lacks the capability; otherwise asks for run-time evidence.

    Declaring a step is the design, not the operation: until this run's own results are
    in the pack, a declared capability leaves the control at `error`, never `pass`.
    """

    capability: ClassVar[CapabilityKind]
    does: ClassVar[str]
    """What the capability does, completing "no step in the pipeline ...", e.g. `runs tests`."""
    gap: ClassVar[str] = ""
    """What is still not observed when the capability is declared."""

    def declared(self, evidence: Evidence) -> tuple[Capability, ...]:
        return evidence.pipeline.has(self.capability) if evidence.pipeline else ()

    def still_missing(self, evidence: Evidence) -> str:
        """What is still not observed for this run when the capability is declared."""
        return self.gap

    def missing_rationale(self, evidence: Evidence, found: tuple[Capability, ...]) -> str:
        details = sorted({c.detail for c in found})
        return (
            f"the pipeline {self.does} ({', '.join(details[:4])} at "
            f"{where(c.location for c in found)}); {self.still_missing(evidence)}"
        )

    def evaluate(self, evidence: Evidence) -> Outcome:
        missing = no_pipeline(evidence)
        if missing:
            return missing
        files = pipeline_evidence(evidence)
        found = self.declared(evidence)
        if found:
            return Outcome(Status.ERROR, self.missing_rationale(evidence, found), evidence=files)
        errors = unparsed(evidence)
        if errors:
            # The step may be in the file that could not be read: absence is not shown.
            return Outcome(
                Status.ERROR,
                f"no step that {self.does} in what could be read; "
                f"{len(errors)} configuration file(s) could not be parsed",
                errors,
                files,
            )
        rule = f"no-{self.capability.value}"
        finding = self.finding(rule, f"no step in the pipeline {self.does}", Severity.HIGH)
        open_, accepted = accept(self.id, (finding,), evidence)
        expired = expired_allowances(self.id, evidence)
        if accepted:
            # An accepted absence is a recorded exception, not a pass.
            return Outcome(
                Status.NOT_APPLICABLE,
                f"no step in the pipeline {self.does}; accepted by the policy: "
                f"{accepted[0].allowed_by}",
                (*accepted, *expired),
                files,
            )
        return Outcome(Status.FAIL, f"no step in the pipeline {self.does}", (*open_, *expired),
                       files)
