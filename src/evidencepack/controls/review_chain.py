"""Whether one change was reviewed as the policy requires: the rule CM-2 and CM-3 share.

An approval counts when it was given by someone who is neither an author, a co-author, a
committer nor the person who opened the request; on the commit that was merged (unless the
policy accepts stale approvals); before the merge; and by a person, or by a bot the policy
lists. Only each reviewer's latest decision counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import instant
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
    refused: tuple[tuple[str, str], ...] = ()
    """(reviewer, why their latest approval did not count): the per-person form of `problems`,
    so the change record shows each approval with the very reason CM-2 gives."""

    def refusal(self, reviewer: str) -> str | None:
        """Why `reviewer`'s latest approval did not count; None when it counted or was not given."""
        return next((why for who, why in self.refused if who == reviewer), None)

    @property
    def approved(self) -> bool:
        return self.change.request is not None and len(self.approvers) >= self.required


def _people(change: Change) -> set[str]:
    involved = {*change.authors, *change.committers}
    if change.opened_by:
        involved.add(change.opened_by)
    return {p.lower() for p in involved}


def latest_decisions(reviews: tuple[Review, ...]) -> dict[str, Review]:
    """Each reviewer's latest approval, change request or dismissal: the one that counts."""
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
    refused: list[tuple[str, str]] = []
    for reviewer, review in sorted(latest_decisions(change.reviews).items()):
        if review.state.upper() != "APPROVED":
            continue
        problem = _refusal(reviewer, review, change, platform, involved, bots, stale_ok)
        if problem is None:
            approvers.append(reviewer)
        else:
            refused.append((reviewer, problem))
    emergency = bool(
        policy.approvals.emergency_label
        and policy.approvals.emergency_label in change.labels
        and len(approvers) < required
    )
    return ChangeReview(change, tuple(approvers), tuple(why for _, why in refused), required,
                        emergency, tuple(refused))


def _refusal(reviewer: str, review: Review, change: Change, platform: PlatformEvidence,
             involved: set[str], bots: set[str], stale_ok: bool) -> str | None:
    """Why one approval does not count, or None when it does."""
    who = reviewer.lower()
    if who in involved:
        return f"{reviewer} approved but is an author, committer or the opener"
    if review.is_bot and who not in bots:
        return f"{reviewer} is a bot the policy does not list in approvals.allowed_bots"
    if review.commit is not None and change.head_commit and review.commit != change.head_commit \
            and not stale_ok:
        return (f"{reviewer} approved {review.commit[:12]}, not the merged head "
                f"{change.head_commit[:12]} (stale approval)")
    if review.commit is None and not stale_ok and not _approvals_reset_on_push(platform):
        return (f"{reviewer}'s approval does not say which commit it was given on, "
                "and approvals are not reset on push")
    if _after(review.submitted_at, change.merged_at):
        return f"{reviewer} approved after the merge"
    return None


def _after(first: str | None, second: str | None) -> bool:
    """`first` is a later time than `second`; False when either is unknown."""
    if not first or not second:
        return False
    a, b = instant(first), instant(second)
    if a is None or b is None:
        return first > second  # unreadable times: the text order is the best left
    return a > b


def _approvals_reset_on_push(platform: PlatformEvidence) -> bool:
    rules = platform.branch_rules or ()
    return bool(rules) and all(r.dismiss_stale_reviews for r in rules)
