"""AC-1: cloud access through OIDC federation, no static cloud keys in the pipeline."""

from __future__ import annotations

from ..model import Status
from ..scanners.pipeline.findings import static_credentials
from ..scanners.pipeline.model import CloudMethod
from .base import (
    Control,
    Evidence,
    Outcome,
    accept,
    expired_allowances,
    guard_unparsed,
    no_pipeline,
    pipeline_evidence,
    plural,
    where,
)


class CloudAccessControl(Control):
    id = "AC-1"
    title = "Cloud access through OIDC federation, no static cloud keys in the pipeline"
    criteria = ("CC6.1", "CC6.6")
    iso27001 = ("A.5.17", "A.8.5")
    evidence_needed = ("pipeline configuration: credentials passed to cloud logins, OIDC grants",)
    status_rule = (
        "fail when any static cloud credential reaches the pipeline; pass when cloud access is "
        "only through OIDC federation; not_applicable when the pipeline reaches no cloud"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        missing = no_pipeline(evidence)
        if missing:
            return missing
        assert evidence.pipeline is not None
        access = evidence.pipeline.cloud_access
        static = [a for a in access if a.method is CloudMethod.STATIC]
        oidc = [a for a in access if a.method is CloudMethod.OIDC]
        open_, accepted = accept(self.id, static_credentials(evidence.pipeline), evidence)
        extra = (*accepted, *expired_allowances(self.id, evidence))
        files = pipeline_evidence(evidence)
        if open_:
            providers = sorted({a.provider.upper() for a in static})
            outcome = Outcome(
                Status.FAIL,
                f"{plural(len(open_), 'static cloud credential')} ({', '.join(providers)}) "
                f"reach the pipeline at {where(f.location for f in open_ if f.location)}",
                (*open_, *extra),
                files,
            )
        elif oidc or accepted:
            providers = sorted({a.provider.upper() for a in oidc})
            text = (
                f"cloud access ({', '.join(providers)}) uses OIDC federation at "
                f"{where(a.location for a in oidc)}"
                if oidc
                else "the only static cloud credentials are accepted by the policy"
            )
            if accepted and oidc:
                text += f"; {plural(len(accepted), 'static credential')} accepted by the policy"
            outcome = Outcome(Status.PASS, text, extra, files)
        else:
            outcome = Outcome(
                Status.NOT_APPLICABLE,
                "the pipeline configuration reaches no cloud provider (no AWS, GCP or Azure "
                "login or credential found)",
                extra,
                files,
            )
        return guard_unparsed(outcome, evidence)
