"""The immutable values every part of evidencepack exchanges.

Collectors produce evidence, controls turn evidence into `ControlResult`s, formats turn
results into text. Nothing here performs I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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

    @property
    def summary(self) -> ControlSummary:
        return ControlSummary.of(self.results)
