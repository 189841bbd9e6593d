"""What the platform's API shows, the same shape for GitHub and GitLab.

Collectors fill this from API replies; controls read it. Every fact that could not be read
is `None` with an `Unavailable` saying why (and which permission the token lacked), so a
control can tell "observed to be off" from "not observed".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Unavailable:
    """One area of evidence the API did not give."""

    area: str
    """What was being read, e.g. `branch protection of main`."""
    reason: str
    """One line: the status and the platform's own message."""
    permission: str | None = None
    """The token permission that would give it, e.g. `administration=read`."""

    def __str__(self) -> str:
        text = f"{self.area}: {self.reason}"
        if not self.permission or "the token needs" in self.reason:
            return text
        return f"{text} (the token needs {self.permission})"

    def to_json(self) -> dict[str, Any]:
        return {"area": self.area, "reason": self.reason, "permission": self.permission}


@dataclass(frozen=True)
class BranchRules:
    """The rules in force on one branch: classic protection and rulesets together."""

    branch: str
    protected: bool
    sources: tuple[str, ...] = ()
    """Where the rules come from: `classic`, `ruleset:<id> <name>`, `protected-branch`."""
    required_approvals: int = 0
    dismiss_stale_reviews: bool = False
    require_code_owner_review: bool = False
    require_last_push_approval: bool = False
    enforce_admins: bool = False
    """Classic protection applies to administrators too (rulesets: no bypass actors)."""
    bypass_actors: tuple[str, ...] = ()
    """Who may bypass the rules (rulesets' bypass actors, classic bypass allowances)."""
    required_status_checks: tuple[str, ...] = ()
    allow_force_pushes: bool = False
    allow_deletions: bool = False
    push_access: tuple[str, ...] = ()
    """GitLab: who may push directly (access levels or users)."""
    evidence: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Review:
    """One review or approval of a change."""

    reviewer: str
    state: str
    """`APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED` (GitLab approvals: `APPROVED`)."""
    submitted_at: str | None
    commit: str | None
    """The commit the review was given on; None where the platform does not say."""
    is_bot: bool = False

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    conclusion: str | None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "conclusion": self.conclusion}


@dataclass(frozen=True)
class Change:
    """One change the deploy brings in: a commit and the pull/merge request it came through."""

    commit: str
    """The first commit of the deploy range that came through this change."""
    request: int | None
    """Pull request (GitHub) or merge request iid (GitLab) number; None for a direct push."""
    url: str | None = None
    title: str = ""
    source_branch: str | None = None
    labels: tuple[str, ...] = ()
    ticket: str | None = None
    opened_by: str | None = None
    authors: tuple[str, ...] = ()
    """Logins (or emails, when no account is linked) of every commit author and co-author."""
    committers: tuple[str, ...] = ()
    reviews: tuple[Review, ...] = ()
    head_commit: str | None = None
    """The last commit of the request, the one a valid approval is given on."""
    merged_by: str | None = None
    merged_at: str | None = None
    merge_commit: str | None = None
    checks: tuple[Check, ...] = ()
    """Checks on the merged commit."""
    commits: tuple[str, ...] = ()
    """Every commit of the deploy range that came through this change."""
    evidence: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class StoredSecret:
    """A secret or variable the pipeline can read; never its value."""

    name: str
    scope: str
    """`repository`, `environment:<name>`, `organization`, `project`, `group`."""
    created_at: str | None = None
    updated_at: str | None = None
    protected: bool | None = None
    masked: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class DeployEnvironment:
    name: str
    required_reviewers: tuple[str, ...] = ()
    prevent_self_review: bool | None = None
    branch_policy: str | None = None
    """`protected`, `custom: main, release/*`, or None when any branch may deploy."""

    def to_json(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class PipelineRun:
    run_id: str
    branch: str | None
    event: str | None
    status: str | None
    conclusion: str | None
    created_at: str | None
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class PlatformEvidence:
    """Everything read from the platform for one pack. `None` means not observed."""

    platform: str
    """`github` or `gitlab`."""
    repository: str
    api_url: str
    default_branch: str | None = None
    visibility: str | None = None
    branch_rules: tuple[BranchRules, ...] | None = None
    change_range: tuple[str | None, str] | None = None
    """(base commit or None for "the first commit", head commit) of the changes examined."""
    changes: tuple[Change, ...] | None = None
    default_token_permissions: str | None = None
    """`read` or `write`: what the pipeline token gets when a workflow sets none."""
    pipeline_must_succeed: bool | None = None
    """GitLab: merge requests merge only when their pipeline succeeded (the required check)."""
    actions_can_approve_requests: bool | None = None
    self_approval_allowed: bool | None = None
    """GitLab: the author of a merge request may approve it."""
    committers_may_approve: bool | None = None
    secrets: tuple[StoredSecret, ...] | None = None
    secrets_have_dates: bool = True
    environments: tuple[DeployEnvironment, ...] | None = None
    oidc_subject: dict[str, Any] | None = None
    log_retention_days: int | None = None
    secret_scanning: bool | None = None
    push_protection: bool | None = None
    runs: tuple[PipelineRun, ...] | None = None
    """Runs of the production branch over the policy's window."""
    run_logs: str | None = None
    """Pack path of this run's logs archive, when it was downloaded."""
    deploy_approvals: tuple[Review, ...] | None = None
    """Who approved this run's deployments to protected environments (the approver of the deploy)."""
    unavailable: tuple[Unavailable, ...] = field(default=())

    def missing(self, area_prefix: str) -> tuple[Unavailable, ...]:
        """The unavailable areas whose name starts with `area_prefix`."""
        return tuple(u for u in self.unavailable if u.area.startswith(area_prefix))

    def to_json(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in self.__dataclass_fields__}


def _plain(value: Any) -> Any:
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class LocalCommit:
    """A commit of the deploy range as the local Git history shows it."""

    sha: str
    author_email: str
    committer_email: str
    co_authors: tuple[str, ...] = ()
    """Emails from `Co-authored-by:` trailers."""
    parents: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    """Paths the commit changed (against its first parent)."""


@dataclass(frozen=True)
class CollectRequest:
    """What a platform collector is asked to read."""

    repository: str
    """`owner/name` (GitHub) or the project path (GitLab)."""
    head: str
    base: str | None
    """The previous pack's commit or `--since`; None when there is none (HEAD alone)."""
    commits: tuple[LocalCommit, ...]
    """The commits of base..head, oldest first."""
    production_branches: tuple[str, ...]
    window_days: int
    ticket_pattern: str = ""
    run_id: str | None = None
    """The current pipeline run, whose logs are archived into the pack."""
    now: str = ""
    """ISO 8601 UTC time of the run, for windows and ages."""


@dataclass(frozen=True)
class PlatformCollection:
    """A collector's result: the evidence, and the files it adds under `evidence/platform/`."""

    evidence: PlatformEvidence
    files: dict[str, bytes] = field(default_factory=dict)
