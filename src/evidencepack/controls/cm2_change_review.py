"""CM-2: every change in the deploy was reviewed, on the merged commit, by someone else."""

from __future__ import annotations

from ..model import Finding, Location, Severity, Status
from .base import (
    EVIDENCE_CHANGES,
    PLATFORM_API_EVIDENCE,
    Control,
    Evidence,
    Outcome,
    accept,
    expired_allowances,
    needs_platform,
    plural,
    unavailable_reason,
)
from .review_chain import assess


class ChangeReview(Control):
    id = "CM-2"
    title = "Every change reviewed on the merged commit, before merge, by a non-author"
    criteria = ("CC8.1", "CC6.3")
    iso27001 = ("A.8.32", "A.5.3")
    evidence_needed = (
        "commits the deploy brings in since the previous pack (Git, store)",
        "pull/merge requests, their authors, approvals with commit and time, merger (platform API)",
    )
    status_rule = (
        "pass when each change has the policy's number of approvals by people who are not its "
        "authors or committers, given on the merged commit before the merge; fail on a change "
        "without them, a change merged without a request, or a platform that lets pipelines or "
        "authors approve; manual when the only gaps are emergency-labelled changes awaiting a "
        "later review; not_applicable when the deploy brings no change; error without platform "
        "evidence"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        platform = evidence.platform
        if platform is None:
            return Outcome(Status.ERROR, needs_platform(
                evidence, "pull requests and reviews of the changes in this deploy"))
        if platform.changes is None:
            return Outcome(Status.ERROR, unavailable_reason(
                evidence, "the review history of the changes", platform.missing("pull request")
                + platform.missing("commits") + platform.missing("merge request")))
        # The change record judges each change with the same `assess`: it is this result's
        # per-change detail, next to the raw API replies it rests on.
        files = (*PLATFORM_API_EVIDENCE, EVIDENCE_CHANGES)
        settings: list[Finding] = []
        where = Location(f"{platform.platform}:{platform.repository}")
        if platform.actions_can_approve_requests:
            settings.append(self.finding(
                "pipeline-may-approve",
                "GitHub Actions may approve pull requests: a workflow can supply the approval a "
                "change needs, so separation of duties can be bypassed", Severity.HIGH, where))
        if platform.self_approval_allowed:
            settings.append(self.finding(
                "author-may-approve", "merge request authors may approve their own merge requests",
                Severity.HIGH, where))
        if platform.committers_may_approve:
            settings.append(self.finding(
                "committer-may-approve", "people who committed to a merge request may approve it",
                Severity.MEDIUM, where))
        if not platform.changes:
            base = (platform.change_range or (None, ""))[0]
            status = Status.NOT_APPLICABLE if not settings else Status.FAIL
            text = f"no change since {base[:12] if base else 'the previous pack'}"
            return Outcome(status, text, tuple(settings), files)
        verdicts = [assess(change, evidence.policy, platform) for change in platform.changes]
        findings = list(settings)
        exceptions = []
        for verdict in verdicts:
            change = verdict.change
            label = f"#{change.request}" if change.request else change.commit[:12]
            where = Location(change.url or f"commit {change.commit}")
            if verdict.approved:
                continue
            why = "; ".join(verdict.problems) or "no approval"
            if verdict.emergency:
                exceptions.append(self.finding(
                    "emergency-change",
                    f"{label} merged under the emergency label with {len(verdict.approvers)} of "
                    f"{verdict.required} approvals ({why}): a recorded exception that needs a "
                    "later review", Severity.MEDIUM, where))
            elif change.request is None:
                findings.append(self.finding(
                    "no-pull-request", f"commit {change.commit[:12]} reached the branch without a "
                    "pull or merge request", Severity.HIGH, where))
            else:
                findings.append(self.finding(
                    "insufficient-approval",
                    f"{label} has {len(verdict.approvers)} valid approval(s) of {verdict.required} "
                    f"required: {why}", Severity.HIGH, where))
        open_, accepted = accept(self.id, findings, evidence)
        extra = (*accepted, *expired_allowances(self.id, evidence))
        reviewed = sum(1 for v in verdicts if v.approved)
        if open_:
            return Outcome(Status.FAIL, f"{plural(len(open_), 'problem')} in the review of "
                           f"{plural(len(verdicts), 'change')}: "
                           + "; ".join(f.message for f in open_[:3]),
                           (*open_, *exceptions, *extra), files)
        if exceptions:
            return Outcome(Status.MANUAL, f"{reviewed} of {len(verdicts)} changes reviewed; "
                           f"{plural(len(exceptions), 'emergency change')} await a later review",
                           (*exceptions, *extra), files)
        return Outcome(Status.PASS, f"all {plural(len(verdicts), 'change')} approved by at least "
                       f"{evidence.policy.approvals.required} non-author(s) on the merged commit "
                       "before the merge", extra, files)
