"""IN-3: artifact integrity verified before deployment."""

from __future__ import annotations

from dataclasses import replace

from ..model import Severity, Status
from ..pack.artifacts import VERIFICATION
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


class VerifyBeforeDeploy(Control):
    id = "IN-3"
    title = "Artifact integrity verified before deployment"
    criteria = ("CC8.1", "CC6.8")
    iso27001 = ("A.8.32", "A.8.24")
    evidence_needed = (
        "deploy jobs of the pipeline and the steps that run before their deploy step",
        "the result of verifying this run's artifacts against the build's pack, when given",
    )
    status_rule = (
        "fail when a deploy job runs no signature or attestation verification (`evidencepack "
        "verify-artifact`, `cosign verify*`, `gh attestation verify`) before deploying, in "
        "itself or a job it needs; pass when every deploy job does; not_applicable when the "
        "pipeline does not deploy; fail as well when this run was given the build's pack "
        "(`run --verified-pack`) and an artifact does not verify against it"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        outcome = self._configured(evidence)
        checks = evidence.artifact_checks
        if checks is None:
            return outcome
        files = (*outcome.evidence, VERIFICATION)
        failed = [c for c in checks if not c.ok]
        if failed:
            findings = tuple(
                self.finding("artifact-verification-failed",
                             f"artifact {c.file} does not verify against the build's pack: "
                             f"{c.reason}", Severity.HIGH)
                for c in failed
            )
            return Outcome(
                Status.FAIL,
                f"{len(failed)} of {plural(len(checks), 'artifact')} of this deploy did not "
                f"verify against the build's pack ({failed[0].reason})",
                (*findings, *outcome.findings),
                files,
            )
        packs = sorted({c.pack_id or "?" for c in checks})
        return replace(
            outcome,
            rationale=f"{outcome.rationale}; this run verified its "
                      f"{plural(len(checks), 'artifact')} against pack {', '.join(packs)} "
                      f"({VERIFICATION})",
            evidence=files,
        )

    def _configured(self, evidence: Evidence) -> Outcome:
        """The decision from the pipeline configuration alone."""
        missing = no_pipeline(evidence)
        if missing:
            return missing
        assert evidence.pipeline is not None
        jobs = evidence.pipeline.deploy_jobs
        files = pipeline_evidence(evidence)
        if not jobs:
            return guard_unparsed(
                Outcome(Status.NOT_APPLICABLE, "the pipeline has no deploy job", evidence=files),
                evidence,
            )
        unverified = [
            self.finding(
                "deploy-without-verification",
                f"deploy job {j.job} ({j.detail}) deploys without verifying a signature or "
                "attestation first",
                Severity.HIGH,
                j.location,
            )
            for j in jobs
            if j.verification is None
        ]
        open_, accepted = accept(self.id, unverified, evidence)
        extra = (*accepted, *expired_allowances(self.id, evidence))
        if open_:
            return Outcome(
                Status.FAIL,
                f"{plural(len(open_), 'deploy job')} of {len(jobs)} deploy without verifying "
                f"artifact integrity first ({where(f.location for f in open_ if f.location)})",
                (*open_, *extra),
                files,
            )
        verified = [j for j in jobs if j.verification is not None]
        return guard_unparsed(
            Outcome(
                Status.PASS,
                f"every deploy job ({len(jobs)}) verifies integrity before deploying, at "
                f"{where(j.verification for j in verified if j.verification)}",
                extra,
                files,
            ),
            evidence,
        )
