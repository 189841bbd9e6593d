"""HD-1: pipeline hardening: actions and images pinned, no dangerous triggers, no injection."""

from __future__ import annotations

from collections import Counter

from ..model import Status
from .base import (
    EVIDENCE_ZIZMOR,
    Control,
    Evidence,
    Outcome,
    accept,
    expired_allowances,
    no_pipeline,
    pipeline_evidence,
    plural,
    unparsed,
)


class PipelineHardening(Control):
    id = "HD-1"
    title = "Pipeline hardening: pinned actions and images, no dangerous triggers or injection"
    criteria = ("CC6.8", "CC8.1")
    iso27001 = ("A.8.9", "A.8.25")
    evidence_needed = (
        "zizmor's offline audit of every GitHub workflow",
        "evidencepack's GitLab CI rules (image digests, pinned includes, deploy environments)",
    )
    status_rule = (
        "fail when a finding at or above `hardening.fail_on` is not accepted by the policy; "
        "error when a configuration file cannot be parsed or the audit engine cannot run; "
        "pass otherwise"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        missing = no_pipeline(evidence)
        if missing:
            return missing
        pipeline = evidence.pipeline
        assert pipeline is not None
        files = pipeline_evidence(evidence)
        if "github" in pipeline.platforms:
            files = (*files, EVIDENCE_ZIZMOR)
        threshold = evidence.policy.hardening.fail_on
        open_, accepted = accept(self.id, pipeline.hardening, evidence)
        failing = [f for f in open_ if f.severity.at_least(threshold)]
        below = [f for f in open_ if not f.severity.at_least(threshold)]
        extra = (*accepted, *expired_allowances(self.id, evidence))
        errors = unparsed(evidence)
        problems: list[str] = []
        if errors:
            problems.append(
                f"{plural(len(errors), 'configuration file')} could not be parsed: "
                + "; ".join(e.message for e in errors[:3])
            )
        if pipeline.hardening_error:
            problems.append(f"the GitHub Actions audit did not run: {pipeline.hardening_error}")
        summary = ", ".join(
            f"{count} {rule}" for rule, count in Counter(f.rule for f in failing).most_common(4)
        )
        if failing:
            status = Status.FAIL
            rationale = (
                f"{plural(len(failing), 'finding')} at {threshold} severity or above ({summary})"
            )
        elif problems:
            status, rationale = Status.ERROR, "; ".join(problems)
        else:
            status = Status.PASS
            scope = plural(len(pipeline.pipeline_files), "configuration file")
            rationale = f"no finding at {threshold} severity or above in {scope}"
            if below:
                rationale += f" ({plural(len(below), 'lower-severity finding')} listed)"
            if accepted:
                rationale += f"; {len(accepted)} accepted by the policy"
        if failing and problems:
            rationale += "; also " + "; ".join(problems)
        return Outcome(status, rationale, (*errors, *failing, *below, *extra), files)
