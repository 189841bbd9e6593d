"""The change record: every change of the deploy with the twelve things an auditor asks.

For each change: its request link, ticket, authors, reviewed against merged commit, approvals
(who, when, on which commit, counted or why not), merger, the branch rules in force, checks on
the merged commit, the scans the pipeline declares, the deploy, the order approval < merge <
deploy, and the exceptions. Approvals are judged by `review_chain.assess`, the rule CM-2
applies, so the report and the control can never disagree about a change.

The records are pure data (`model.ChangeRecord`); this module only derives them from the
collected `Evidence`, so `model` stays free of controls and of I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .controls.base import Evidence, platform_name, unavailable_reason
from .controls.review_chain import ChangeReview, assess, latest_decisions
from .model import ApprovalRecord, ChangeRecord, DeployRecord, instant
from .scanners.pipeline.model import CapabilityKind
from .sources.platform import BranchRules, Change, PlatformEvidence

__all__ = [
    "ApprovalRecord",
    "ChangeRecord",
    "DeployRecord",
    "change_record_note",
    "change_records",
    "changes_document",
]

# Where evidencepack takes a platform token from, for the sentence of a pack without one.
TOKEN_HINTS = {
    "GitHub": "GITHUB_TOKEN, GH_TOKEN or --github-token",
    "GitLab": "GITLAB_TOKEN, CI_JOB_TOKEN or --gitlab-token",
}

# What the pipeline declares for the scans an auditor asks about, in the report's order.
SCAN_KINDS = (CapabilityKind.SECRET_SCAN, CapabilityKind.DEPENDENCY_SCAN, CapabilityKind.SBOM)


def change_records(evidence: Evidence, created_at: str) -> tuple[ChangeRecord, ...]:
    """One record per change the platform shows for this deploy, oldest first.

    `created_at` is this run's time (ISO 8601 UTC): the deploy every change is ordered
    against. Empty when the platform was not read or its review history was not available.
    """
    platform = evidence.platform
    if platform is None or platform.changes is None:
        return ()
    # The branch rules, scans and deploy are the same for every change of one run.
    rules = _rules_line(evidence, platform)
    scans = _scans(evidence)
    deploy = _deploy(evidence, platform)
    return tuple(
        _record(assess(change, evidence.policy, platform), evidence, created_at, rules, scans,
                deploy)
        for change in platform.changes
    )


def change_record_note(evidence: Evidence) -> str | None:
    """One sentence on why the pack has no change record; None when it has one."""
    platform = evidence.platform
    if platform is None:
        if evidence.platform_error:
            return f"The change record was not built: {evidence.platform_error}."
        name = platform_name(evidence)
        hint = TOKEN_HINTS[name]
        return (f"The change record needs a {name} token ({hint}): without one, the requests, "
                "approvals and merges of the changes in this deploy were not read.")
    if platform.changes is None:
        return "The change record was not built: " + unavailable_reason(
            evidence, "the review history of the changes", platform.missing("pull request")
            + platform.missing("commits") + platform.missing("merge request")) + "."
    if not platform.changes:
        base = (platform.change_range or (None, ""))[0]
        since = f"commit {base[:12]}" if base else "the previous pack"
        return f"This deploy brings in no change since {since}."
    return None


def changes_document(evidence: Evidence, records: tuple[ChangeRecord, ...],
                     created_at: str) -> dict[str, Any]:
    """The content of `evidence/platform/changes.json`: the records and what they cover."""
    platform = evidence.platform
    base, head = (platform.change_range if platform and platform.change_range
                  else (None, evidence.subject.commit))
    return {
        "repository": evidence.subject.repository,
        "range": {"base": base, "head": head},
        "deployed_at": created_at,
        "ticket_pattern": evidence.policy.ticket_pattern or None,
        "required_approvals": evidence.policy.approvals.required,
        "changes": [r.to_json() for r in records],
    }


# -- one change ----------------------------------------------------------------------------


def _record(verdict: ChangeReview, evidence: Evidence, created_at: str, rules: str,
            scans: tuple[tuple[str, str], ...], deploy: DeployRecord) -> ChangeRecord:
    change = verdict.change
    approvals = _approvals(verdict)
    ordering, ordered = _ordering(change, approvals, created_at)
    return ChangeRecord(
        commit=change.commit,
        commits=change.commits or (change.commit,),
        request=change.request,
        url=change.url,
        title=change.title,
        ticket=change.ticket,
        authors=change.authors,
        committers=change.committers,
        opened_by=change.opened_by,
        reviewed_commit=change.head_commit,
        # A direct push reaches the branch as the commit itself.
        merged_commit=change.merge_commit or (change.commit if change.request is None else None),
        approvals=approvals,
        merger=change.merged_by,
        merged_at=change.merged_at,
        branch_rules=rules,
        checks=tuple(sorted((c.name, c.conclusion or c.status or "unknown") for c in change.checks)),
        scans=scans,
        deploy=deploy,
        ordering=ordering,
        ordered=ordered,
        exceptions=_exceptions(verdict, approvals, evidence),
    )


def _approvals(verdict: ChangeReview) -> tuple[ApprovalRecord, ...]:
    """Every approval given, with the verdict of `assess` on each reviewer's latest decision."""
    change = verdict.change
    latest = latest_decisions(change.reviews)
    given = sorted((r for r in change.reviews if r.state.upper() == "APPROVED"),
                   key=lambda r: (r.submitted_at or "", r.reviewer))
    out = []
    for review in given:
        decision = latest.get(review.reviewer)
        if decision is not review:
            # Only a reviewer's latest decision counts (as in `assess`): say what replaced it.
            later = decision.state.upper() if decision else "review"
            why = (f"superseded by {review.reviewer}'s later approval" if later == "APPROVED"
                   else f"withdrawn: {review.reviewer}'s later review is {later}")
            out.append(ApprovalRecord(review.reviewer, review.submitted_at, review.commit,
                                      False, why))
            continue
        counted = review.reviewer in verdict.approvers
        why_not = None if counted else (verdict.refusal(review.reviewer) or "not counted")
        out.append(ApprovalRecord(review.reviewer, review.submitted_at, review.commit, counted,
                                  why_not))
    return tuple(out)


def _exceptions(verdict: ChangeReview, approvals: tuple[ApprovalRecord, ...],
                evidence: Evidence) -> tuple[str, ...]:
    change = verdict.change
    out: list[str] = []
    if change.request is None:
        out.append("no pull or merge request: the commit reached the branch directly")
    elif not verdict.approved:
        why = "; ".join(verdict.problems) or "no approval was given"
        out.append(f"{len(verdict.approvers)} of {verdict.required} required approval(s) "
                   f"counted: {why}")
    if verdict.emergency:
        out.append(f"emergency label '{evidence.policy.approvals.emergency_label}': a recorded "
                   "exception that needs a later review")
    # A stale approval that did not count is already a reason above; one that counted (the
    # policy allows stale approvals) is still an exception the auditor should see.
    for a in approvals:
        if a.counted and a.commit and change.head_commit and a.commit != change.head_commit:
            out.append(f"stale approval by {a.reviewer} on {a.commit[:12]}, not the merged head "
                       f"{change.head_commit[:12]}: counted because the policy allows stale "
                       "approvals")
    return tuple(out)


def _ordering(change: Change, approvals: tuple[ApprovalRecord, ...],
              created_at: str) -> tuple[str, bool]:
    """The order approval < merge < deploy as text, and whether the evidence shows it.

    `ordered` is false when a counted approval was not before the merge or the merge was not
    before this run, and also when the order cannot be shown (no request, no counted
    approval, a time not recorded): an order that was not observed is never asserted.
    """
    deployed = f"deployed by this run {_when(created_at)}"
    run_time = instant(created_at)
    if change.request is None:
        return f"pushed directly, no approval or merge to order; {deployed}", False
    merged = instant(change.merged_at)
    merge_text = f"merged {_when(change.merged_at)}" if change.merged_at else "merge time not recorded"
    counted = [a for a in approvals if a.counted]
    ordered = merged is not None and run_time is not None and merged < run_time
    if counted:
        # Show the approval that breaks the order, if any, else the last one before the merge.
        times = [(instant(a.submitted_at), a) for a in counted]
        late = [a for t, a in times if t is None or merged is None or not t < merged]
        shown = late[0] if late else max(times, key=_sort_key)[1]
        ordered = ordered and not late
        approved = (f"approved {_when(shown.submitted_at)}" if shown.submitted_at
                    else "approval time not recorded")
        first = f"{approved} {_relation(instant(shown.submitted_at), merged)} {merge_text}"
    else:
        ordered = False
        first = f"no counted approval; {merge_text}"
    return f"{first} {_relation(merged, run_time)} {deployed}", ordered


def _sort_key(item: tuple[datetime | None, ApprovalRecord]) -> datetime:
    return item[0] or datetime.min.replace(tzinfo=UTC)


def _relation(before: datetime | None, after: datetime | None) -> str:
    """`<`, `=` or `>` between two instants; `?` when either is unknown."""
    if before is None or after is None:
        return "?"
    return "<" if before < after else "=" if before == after else ">"


def _when(text: str | None) -> str:
    """A time for a person: UTC to the minute, seconds only when they are not zero."""
    moment = instant(text)
    if moment is None:
        return text or "unknown"
    return moment.strftime("%Y-%m-%dT%H:%MZ" if not moment.second and not moment.microsecond
                           else "%Y-%m-%dT%H:%M:%SZ")


# -- the same for every change -------------------------------------------------------------


def _rules_line(evidence: Evidence, platform: PlatformEvidence) -> str:
    """One line on the rules in force on the production branch the deploy comes from."""
    if platform.branch_rules is None:
        return unavailable_reason(evidence, "branch rules", platform.missing("branch")
                                  + platform.missing("rules") + platform.missing("ruleset"))
    if not platform.branch_rules:
        return "none of the production branches exists on the platform"
    # The branch this run deploys from, if it is a production branch; else the first one.
    by_name = {r.branch: r for r in platform.branch_rules}
    wanted = (evidence.subject.branch, *evidence.policy.production_branches)
    rules = next((by_name[b] for b in wanted if b in by_name), platform.branch_rules[0])
    return _describe(rules)


def _describe(rules: BranchRules) -> str:
    if not rules.protected:
        return f"{rules.branch}: not protected"
    parts = [
        f"{rules.branch}: protected by {', '.join(rules.sources) or 'rules'}",
        f"{rules.required_approvals} approval(s) required",
        "code-owner review required" if rules.require_code_owner_review
        else "no code-owner review",
        "stale approvals dismissed on push" if rules.dismiss_stale_reviews
        else "stale approvals kept",
        f"bypass: {', '.join(rules.bypass_actors)}" if rules.bypass_actors
        else "no bypass actors",
    ]
    return "; ".join(parts)


def _scans(evidence: Evidence) -> tuple[tuple[str, str], ...]:
    """What the pipeline declares for each scan (this run's own results arrive later)."""
    pipeline = evidence.pipeline
    out = []
    for kind in SCAN_KINDS:
        if pipeline is None:
            out.append((str(kind), "pipeline configuration not analysed"))
            continue
        found = sorted({f"{c.detail} ({c.job})" for c in pipeline.has(kind)})
        out.append((str(kind), "; ".join(found) or "not declared in the pipeline"))
    return tuple(out)


def _deploy(evidence: Evidence, platform: PlatformEvidence) -> DeployRecord:
    jobs = evidence.pipeline.deploy_jobs if evidence.pipeline else ()
    environments = tuple(sorted({j.environment for j in jobs if j.environment}))
    reviewers: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    if platform.environments is not None:
        # Environment names are case-insensitive on both platforms.
        known = {e.name.casefold(): e for e in platform.environments}
        reviewers = tuple(
            (name, known[name.casefold()].required_reviewers if name.casefold() in known else ())
            for name in environments
        )
    approvals = None
    if platform.deploy_approvals is not None:
        approvals = tuple(f"{r.reviewer} {r.state}".strip() for r in platform.deploy_approvals)
    return DeployRecord(
        environments=environments,
        jobs=tuple(sorted({j.job for j in jobs})),
        required_reviewers=reviewers,
        approvals=approvals,
        run_id=evidence.subject.run_id,
        run_url=evidence.subject.run_url,
    )
