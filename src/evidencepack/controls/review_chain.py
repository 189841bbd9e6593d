"""Whether one change was reviewed as the policy requires: the rule CM-2 and CM-3 share.

An approval counts when it was given by someone who is neither an author, a co-author, a
committer nor the person who opened the request; on the commit that was merged (unless the
policy accepts stale approvals); before the merge; and by a person, or by a bot the policy
lists. Only each reviewer's latest decision counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..policy import Policy
from ..sources.platform import Change, PlatformEvidence, Review

_DECISIONS = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}


@dataclass(frozen=True)
class ChangeReview:
    """The verdict on one change."""

    change: Change
    approvers: tuple[str, ...]
    """Distinct people whose approval counts."""
    problems: tuple[str, ...]
    """Why approvals did not count, for a person."""
    required: int
    emergency: bool = False
    """Not enough approvals, but labelled with the policy's emergency label."""

    @property
    def approved(self) -> bool:
        return self.change.request is not None and len(self.approvers) >= self.required


def _people(change: Change) -> set[str]:
    involved = {*change.authors, *change.committers}
    if change.opened_by:
        involved.add(change.opened_by)
    return {p.lower() for p in involved}


def _latest(reviews: tuple[Review, ...]) -> dict[str, Review]:
    latest: dict[str, Review] = {}
    for review in sorted(reviews, key=lambda r: r.submitted_at or ""):
        if review.state.upper() in _DECISIONS:
            latest[review.reviewer] = review
    return latest


def assess(change: Change, policy: Policy, platform: PlatformEvidence) -> ChangeReview:
    """Count the approvals of `change` that satisfy the policy, and say why others do not."""
    required = policy.approvals.required
    if change.request is None:
        return ChangeReview(change, (), ("merged without a pull or merge request",), required)
    involved = _people(change)
    bots = {b.lower() for b in policy.approvals.allowed_bots}
    stale_ok = policy.approvals.allow_stale
    approvers: list[str] = []
    problems: list[str] = []
    for reviewer, review in sorted(_latest(change.reviews).items()):
        who = reviewer.lower()
        if review.state.upper() != "APPROVED":
            continue
        if who in involved:
            problems.append(f"{reviewer} approved but is an author, committer or the opener")
            continue
        if review.is_bot and who not in bots:
            problems.append(f"{reviewer} is a bot the policy does not list in approvals.allowed_bots")
            continue
        if review.commit is not None and change.head_commit and review.commit != change.head_commit \
                and not stale_ok:
            problems.append(f"{reviewer} approved {review.commit[:12]}, not the merged head "
                            f"{change.head_commit[:12]} (stale approval)")
            continue
        if review.commit is None and not stale_ok and not _approvals_reset_on_push(platform):
            problems.append(f"{reviewer}'s approval does not say which commit it was given on, "
                            "and approvals are not reset on push")
            continue
        if review.submitted_at and change.merged_at and review.submitted_at > change.merged_at:
            problems.append(f"{reviewer} approved after the merge")
            continue
        approvers.append(reviewer)
    emergency = bool(
        policy.approvals.emergency_label
        and policy.approvals.emergency_label in change.labels
        and len(approvers) < required
    )
    return ChangeReview(change, tuple(approvers), tuple(problems), required, emergency)


def _approvals_reset_on_push(platform: PlatformEvidence) -> bool:
    rules = platform.branch_rules or ()
    return bool(rules) and all(r.dismiss_stale_reviews for r in rules)
