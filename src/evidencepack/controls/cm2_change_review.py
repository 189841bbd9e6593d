"""CM-2: every change in the deploy was reviewed, on the merged commit, by someone else."""

from __future__ import annotations

from .platform_only import PlatformControl


class ChangeReview(PlatformControl):
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
        "authors or committers, given on the merged commit before the merge; error without "
        "platform evidence"
    )
    not_observed = "pull requests and reviews of the changes in this deploy"
