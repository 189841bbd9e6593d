"""CM-3: pipeline configuration is code in Git, changed only through reviewed pull requests."""

from __future__ import annotations

from ..model import Location, Severity, Status
from .base import (
    PLATFORM_API_EVIDENCE,
    Control,
    Evidence,
    Outcome,
    accept,
    expired_allowances,
    needs_platform,
    no_pipeline,
    pipeline_evidence,
    plural,
    unavailable_reason,
    unparsed,
)
from .review_chain import assess


class PipelineAsCode(Control):
    id = "CM-3"
    title = "Pipeline configuration is code in Git, changed only through reviewed pull requests"
    criteria = ("CC8.1",)
    iso27001 = ("A.8.32", "A.8.9")
    evidence_needed = (
        "Git tracking state of every pipeline configuration file",
        "CODEOWNERS rules covering the pipeline configuration",
        "the review of each change to the pipeline configuration (platform API)",
    )
    status_rule = (
        "fail when a pipeline file is not committed, differs from the commit, or has no code "
        "owner; pass when, in addition, every change to it went through a reviewed pull request "
        "with code-owner review required; error when that review history is not observed"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        missing = no_pipeline(evidence)
        if missing:
            return missing
        pipeline = evidence.pipeline
        assert pipeline is not None
        findings = []
        for f in pipeline.pipeline_files:
            if not f.tracked:
                findings.append(self.finding(
                    "config-not-in-git",
                    f"{f.path} is not committed to Git: the pipeline that ran is not the one "
                    "under change control",
                    Severity.HIGH,
                    Location(f.path),
                ))
            elif f.modified:
                findings.append(self.finding(
                    "config-modified",
                    f"{f.path} differs from the commit: the evidence describes uncommitted "
                    "configuration",
                    Severity.MEDIUM,
                    Location(f.path),
                ))
        owners = pipeline.codeowners
        if owners is None or owners.path is None:
            findings.append(self.finding(
                "no-codeowners",
                "no CODEOWNERS file: changes to the pipeline need no designated reviewer",
                Severity.MEDIUM,
            ))
        else:
            findings.extend(
                self.finding(
                    "config-without-owner",
                    f"{path} has no code owner in {owners.path}",
                    Severity.MEDIUM,
                    Location(path),
                )
                for path in owners.uncovered
            )
        platform = evidence.platform
        reviewed_changes = 0
        if platform is not None and platform.changes is not None and evidence.commits is not None:
            ci_paths = {f.path for f in pipeline.files}
            touching = {c.sha for c in evidence.commits if ci_paths & set(c.files)}
            for change in platform.changes:
                if not touching & {change.commit, *change.commits}:
                    continue
                verdict = assess(change, evidence.policy, platform)
                label = f"#{change.request}" if change.request else change.commit[:12]
                if verdict.approved:
                    reviewed_changes += 1
                    continue
                findings.append(self.finding(
                    "ci-change-unreviewed",
                    f"{label} changed the pipeline configuration without the required review: "
                    + ("; ".join(verdict.problems) or "no approval"),
                    Severity.HIGH, Location(change.url or f"commit {change.commit}")))
            for rules in platform.branch_rules or ():
                if rules.protected and not rules.require_code_owner_review:
                    findings.append(self.finding(
                        "code-owner-review-not-required",
                        f"{rules.branch} does not require code-owner review, so CODEOWNERS does "
                        "not stop a pipeline change reviewed by someone else", Severity.MEDIUM,
                        Location(f"{platform.platform}:{platform.repository}@{rules.branch}")))
        open_, accepted = accept(self.id, findings, evidence)
        extra = (*accepted, *expired_allowances(self.id, evidence), *unparsed(evidence))
        files = pipeline_evidence(evidence)
        if platform is not None:
            files = (*files, *PLATFORM_API_EVIDENCE)
        if open_:
            return Outcome(
                Status.FAIL,
                f"{plural(len(open_), 'problem')} with change control of the pipeline "
                "configuration: " + "; ".join(f.message for f in open_[:3]),
                (*open_, *extra),
                files,
            )
        count = len(pipeline.pipeline_files)
        owned = f" and owned in {owners.path}" if owners and owners.path else ""
        if platform is None or platform.changes is None or platform.branch_rules is None:
            gap = (
                needs_platform(evidence, "the review of changes to the pipeline configuration")
                if platform is None
                else unavailable_reason(evidence, "the review of pipeline changes",
                                        platform.missing("pull request") + platform.missing("branch"))
            )
            return Outcome(Status.ERROR, f"{plural(count, 'pipeline file')} committed to Git{owned}; "
                           + gap, extra, files)
        return Outcome(
            Status.PASS,
            f"{plural(count, 'pipeline file')} committed to Git{owned}; "
            f"{plural(reviewed_changes, 'change')} to them in this deploy, each reviewed; "
            "code-owner review required on the production branches",
            extra,
            files,
        )
