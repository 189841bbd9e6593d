"""The immutable values every part of evidencepack exchanges.

Collectors produce evidence, controls turn evidence into `ControlResult`s, formats turn
results into text. Nothing here performs I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple


class Status(StrEnum):
    """Outcome of one control."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    """The evidence the control needs could not be collected."""
    MANUAL = "manual"
    """A person has to attest; the tool cannot observe this."""


class Severity(StrEnum):
    """Severity of a finding, ordered from most to least severe by `rank`."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical up to 4 for info."""
        return _SEVERITY_ORDER.index(self)

    def at_least(self, other: Severity) -> bool:
        """True when this severity is `other` or more severe."""
        return self.rank <= other.rank


_SEVERITY_ORDER = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO]


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file of the repository."""

    path: str
    """Repository-relative POSIX path."""
    line: int | None = None
    """1-based line, when known."""
    column: int | None = None
    """1-based column, when known."""

    def __str__(self) -> str:
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column}


@dataclass(frozen=True)
class Finding:
    """One observation that counts against (or informs) a control."""

    rule: str
    """Stable rule id, e.g. `static-cloud-credentials` or `zizmor/unpinned-uses`."""
    message: str
    """One sentence for a person; never contains a secret value."""
    severity: Severity
    location: Location | None = None
    help_uri: str | None = None
    """Where the rule and its remediation are documented."""
    source: str = "evidencepack"
    """The engine that produced the finding (`evidencepack`, `zizmor`)."""
    confidence: str | None = None
    allowed_by: str | None = None
    """Reason of the policy allow-list entry that accepts this finding, if any."""

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message": self.message,
            "severity": str(self.severity),
            "location": self.location.to_json() if self.location else None,
            "help_uri": self.help_uri,
            "source": self.source,
            "confidence": self.confidence,
            "allowed_by": self.allowed_by,
        }


@dataclass(frozen=True)
class Subject:
    """What a pack is evidence for: one commit of one repository, built by one run."""

    repository: str | None
    """`owner/name` (GitHub) or the project path (GitLab); None when unknown."""
    commit: str
    ref: str | None = None
    branch: str | None = None
    remote_url: str | None = None
    """Remote URL with any credentials removed."""
    server_url: str | None = None
    platform: str = "local"
    """`github`, `gitlab` or `local`."""
    run_id: str | None = None
    run_attempt: str | None = None
    run_url: str | None = None
    actor: str | None = None
    triggering_actor: str | None = None
    workflow_ref: str | None = None
    event_name: str | None = None
    author: str | None = None
    """Commit author as `Name <email>`."""
    committer: str | None = None
    commit_time: str | None = None
    """Committer date of HEAD, ISO 8601."""

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class ControlResult:
    """The outcome of one control for one pack."""

    control_id: str
    title: str
    criteria: tuple[str, ...]
    """SOC 2 Trust Services Criteria, e.g. `CC8.1`."""
    iso27001: tuple[str, ...]
    """ISO/IEC 27001:2022 Annex A controls, e.g. `A.8.32`."""
    status: Status
    rationale: str
    """Why the status is what it is, in one or two sentences."""
    findings: tuple[Finding, ...] = ()
    evidence: tuple[str, ...] = ()
    """Pack-relative paths of the evidence files the result rests on."""
    enforced: bool = False
    """A failure of an enforced control makes `run` exit 1."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.control_id,
            "title": self.title,
            "criteria": list(self.criteria),
            "iso27001": list(self.iso27001),
            "status": str(self.status),
            "enforced": self.enforced,
            "rationale": self.rationale,
            "findings": [f.to_json() for f in self.findings],
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class PackFile:
    """One file of a pack, as listed in the manifest."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ControlSummary:
    """Counts of control statuses."""

    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, results: tuple[ControlResult, ...]) -> ControlSummary:
        counts = {str(s): 0 for s in Status}
        for r in results:
            counts[str(r.status)] += 1
        return cls(counts)


class ApprovalRecord(NamedTuple):
    """One approval of a change, and whether CM-2 counted it."""

    reviewer: str
    submitted_at: str | None
    commit: str | None
    """The commit the approval was given on; None where the platform does not say."""
    counted: bool
    why_not: str | None
    """Why it did not count (the reason CM-2 gives); None when it counted."""

    def to_json(self) -> dict[str, Any]:
        return self._asdict()


@dataclass(frozen=True)
class DeployRecord:
    """How this run deploys: the same for every change it brings in."""

    environments: tuple[str, ...]
    """Environments the pipeline's deploy jobs target."""
    jobs: tuple[str, ...]
    """The deploy jobs, `<file>#<job id>`."""
    required_reviewers: tuple[tuple[str, tuple[str, ...]], ...] | None
    """(environment, people who must approve a deploy to it); None when not read."""
    approvals: tuple[str, ...] | None
    """Who approved this run's deployments, e.g. `carol APPROVED production`; None when not read."""
    run_id: str | None
    run_url: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "environments": list(self.environments),
            "jobs": list(self.jobs),
            "required_reviewers": None if self.required_reviewers is None
            else {env: list(people) for env, people in self.required_reviewers},
            "approvals": None if self.approvals is None else list(self.approvals),
            "run_id": self.run_id,
            "run_url": self.run_url,
        }


@dataclass(frozen=True)
class ChangeRecord:
    """One change of the deploy, with the twelve things an auditor asks about it.

    Pure data: `evidencepack.changes.change_records` builds it from the collected evidence.
    """

    commit: str
    """The first commit of the deploy range that came through this change."""
    commits: tuple[str, ...]
    request: int | None
    """Pull or merge request number; None for a direct push."""
    url: str | None
    title: str
    ticket: str | None
    """The policy's ticket pattern as found in the branch name, title or body."""
    authors: tuple[str, ...]
    committers: tuple[str, ...]
    opened_by: str | None
    reviewed_commit: str | None
    """The head commit of the request: the one a valid approval is given on."""
    merged_commit: str | None
    approvals: tuple[ApprovalRecord, ...]
    merger: str | None
    merged_at: str | None
    branch_rules: str
    """One line: the rules in force on the target production branch."""
    checks: tuple[tuple[str, str], ...]
    """(check name, conclusion) on the merged commit."""
    scans: tuple[tuple[str, str], ...]
    """(capability, what the pipeline declares for it): secret scan, dependency scan, SBOM."""
    deploy: DeployRecord
    ordering: str
    """E.g. `approved 2026-11-20T11:00Z < merged 2026-11-20T12:00Z < deployed by this run ...`."""
    ordered: bool
    """True only when the evidence shows approval < merge < this run."""
    exceptions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "commits": list(self.commits),
            "request": self.request,
            "url": self.url,
            "title": self.title,
            "ticket": self.ticket,
            "authors": list(self.authors),
            "committers": list(self.committers),
            "opened_by": self.opened_by,
            "reviewed_commit": self.reviewed_commit,
            "merged_commit": self.merged_commit,
            "approvals": [a.to_json() for a in self.approvals],
            "merger": self.merger,
            "merged_at": self.merged_at,
            "branch_rules": self.branch_rules,
            "checks": [{"name": name, "conclusion": result} for name, result in self.checks],
            "scans": [{"kind": kind, "declared": detail} for kind, detail in self.scans],
            "deploy": self.deploy.to_json(),
            "ordering": self.ordering,
            "ordered": self.ordered,
            "exceptions": list(self.exceptions),
        }


@dataclass(frozen=True)
class PackContent:
    """Everything a pack says, before it is written: what the formats render."""

    pack_id: str
    created_at: str
    """ISO 8601 UTC, seconds precision, with a `Z`."""
    tool_version: str
    subject: Subject
    policy_digest: str
    policy_source: str | None
    results: tuple[ControlResult, ...]
    evidence_files: tuple[PackFile, ...]
    """The files under `evidence/`, for linking from the report."""
    signer_keyid: str = ""
    changes: tuple[ChangeRecord, ...] = ()
    """The changes this deploy brings in, oldest first."""
    changes_note: str | None = None
    """Why there is no change record (no platform token, history unreadable, no change)."""

    @property
    def summary(self) -> ControlSummary:
        return ControlSummary.of(self.results)


def instant(text: str | None) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime; None when absent or unreadable.

    Platforms differ (`Z`, `+00:00`, milliseconds): comparing parsed instants, not strings,
    keeps the order right across them.
    """
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def open_findings(results: Iterable[ControlResult]) -> tuple[Finding, ...]:
    """Every finding no allow-list entry accepts, of every control, each once, in control order.

    Two controls may rest on the same observation (a zizmor finding counts for AC-2 and
    HD-1): code scanning should show it once.
    """
    seen: dict[Finding, None] = {}
    for result in results:
        for finding in result.findings:
            if finding.allowed_by is None:
                seen.setdefault(finding, None)
    return tuple(seen)
