"""`report.html`: the pack for a person, one self-contained page that opens offline.

The page is rendered from `templates/report.html.j2` with autoescaping on. Everything the
template shows is prepared here, so the template only lays values out and every value it
prints passes through the escaper.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from posixpath import normpath
from urllib.parse import quote, urlsplit

import jinja2

from evidencepack.model import (
    ApprovalRecord,
    ChangeRecord,
    ControlResult,
    Finding,
    PackContent,
    PackFile,
    Status,
)

TEMPLATE = "report.html.j2"

STATUS_ORDER = (Status.PASS, Status.FAIL, Status.ERROR, Status.MANUAL, Status.NOT_APPLICABLE)

STATUS_LABEL: dict[Status, str] = {
    Status.PASS: "Pass",
    Status.FAIL: "Fail",
    Status.ERROR: "Error",
    Status.MANUAL: "Manual",
    Status.NOT_APPLICABLE: "Not applicable",
}

STATUS_MEANING: dict[Status, str] = {
    Status.PASS: "The evidence shows the control operated as required for this change.",
    Status.FAIL: "The evidence shows the control did not operate as required.",
    Status.ERROR: "The evidence could not be collected, so the control was not evaluated. "
    "An error is never counted as a pass.",
    Status.MANUAL: "A person has to attest to this control; evidencepack cannot observe it.",
    Status.NOT_APPLICABLE: "The control does not apply to this repository or pipeline run.",
}


@dataclass(frozen=True)
class StatusView:
    """One status in the summary bar."""

    key: str
    label: str
    meaning: str
    count: int
    percent: str
    """Share of all controls, for the width of the bar segment."""


@dataclass(frozen=True)
class FindingView:
    severity: str
    rule: str
    help_href: str | None
    source: str
    confidence: str | None
    message: str
    location_path: str | None
    location_suffix: str
    """`:line:column` as known, kept apart so it never wraps away from the path."""
    allowed_by: str | None


@dataclass(frozen=True)
class EvidenceView:
    path: str
    href: str | None
    """None when the path cannot be a safe link inside the pack directory."""
    size: str | None
    size_bytes: int | None
    sha256: str | None


@dataclass(frozen=True)
class ControlView:
    anchor: str
    control_id: str
    title: str
    status: str
    status_label: str
    enforced: bool
    criteria: tuple[str, ...]
    iso27001: tuple[str, ...]
    rationale: str
    findings: tuple[FindingView, ...]
    evidence: tuple[EvidenceView, ...]


@dataclass(frozen=True)
class SubjectView:
    repository: str
    commit: str
    short_commit: str
    ref: str | None
    branch: str | None
    platform: str
    run_id: str | None
    run_href: str | None
    run_url: str | None
    actor: str | None
    event_name: str | None
    workflow_ref: str | None
    author: str | None
    commit_time: str | None


@dataclass(frozen=True)
class ShaView:
    """A commit shown short, with the full SHA for the title attribute."""

    full: str
    short: str


@dataclass(frozen=True)
class ApprovalView:
    reviewer: str
    when: str | None
    commit: ShaView | None
    on_reviewed: bool
    """Given on the request's head commit (the one that was merged)."""
    counted: bool
    why_not: str | None


@dataclass(frozen=True)
class CheckView:
    name: str
    conclusion: str
    tone: str
    """`ok`, `bad`, or '' for a check still running or of unknown outcome."""


@dataclass(frozen=True)
class ChangeView:
    """One change of the deploy, laid out as the twelve questions of an auditor."""

    anchor: str
    label: str
    """`#7` (pull request), `!7` (merge request) or the short SHA of a direct push."""
    href: str | None
    title: str
    request_kind: str
    direct: bool
    ticket: str | None
    authors: tuple[str, ...]
    committers: tuple[str, ...]
    opened_by: str | None
    commits: tuple[ShaView, ...]
    reviewed: ShaView | None
    merged: ShaView | None
    approvals: tuple[ApprovalView, ...]
    counted: int
    merger: str | None
    merged_at: str | None
    branch_rules: str
    checks: tuple[CheckView, ...]
    scans: tuple[tuple[str, str], ...]
    environments: tuple[str, ...]
    deploy_jobs: tuple[str, ...]
    required_reviewers: tuple[tuple[str, tuple[str, ...]], ...] | None
    deploy_approvals: tuple[str, ...] | None
    run_label: str | None
    run_href: str | None
    ordering: str
    ordered: bool
    exceptions: tuple[str, ...]

    @property
    def status(self) -> str:
        """The card's colour: pass when nothing is to be explained to the auditor."""
        return str(Status.PASS if self.ordered and not self.exceptions else Status.FAIL)


# Check conclusions that show the check did, or did not, pass on the merged commit; anything
# else (queued, in_progress, unknown) is shown without a verdict.
_GOOD_CHECKS = {"success", "neutral", "skipped"}
_BAD_CHECKS = {"failure", "cancelled", "timed_out", "action_required", "startup_failure", "stale",
               "failed", "canceled"}


def render_report(content: PackContent) -> str:
    """Return the HTML report of a pack: self-contained, deterministic, autoescaped."""
    results = content.results
    total = len(results)
    counts = content.summary.counts
    statuses = [
        StatusView(
            key=str(status),
            label=STATUS_LABEL[status],
            meaning=STATUS_MEANING[status],
            count=counts.get(str(status), 0),
            percent=_percent(counts.get(str(status), 0), total),
        )
        for status in STATUS_ORDER
    ]
    files = {f.path: f for f in content.evidence_files}
    controls = [_control_view(result, files) for result in results]
    enforced_failures = [c for c in controls if c.enforced and c.status == Status.FAIL]
    all_evidence = [_evidence_view(f.path, f) for f in sorted(files.values(), key=_by_path)]
    return _template().render(
        content=content,
        subject=_subject_view(content),
        statuses=statuses,
        total=total,
        controls=controls,
        enforced_failures=enforced_failures,
        all_evidence=all_evidence,
        changes=[_change_view(record, content.subject.platform) for record in content.changes],
        changes_note=content.changes_note,
    )


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("evidencepack.formats", "templates"),
        # The template name ends in .j2, which select_autoescape would not recognise as HTML.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template(TEMPLATE)


def _by_path(packed: PackFile) -> str:
    return packed.path


def _percent(count: int, total: int) -> str:
    return f"{(100 * count / total) if total else 0:.4g}"


def _subject_view(content: PackContent) -> SubjectView:
    subject = content.subject
    return SubjectView(
        repository=subject.repository or "local repository",
        commit=subject.commit,
        short_commit=subject.commit[:12],
        ref=subject.ref,
        branch=subject.branch,
        platform=subject.platform,
        run_id=subject.run_id,
        run_href=_web_href(subject.run_url),
        run_url=subject.run_url,
        actor=subject.actor,
        event_name=subject.event_name,
        workflow_ref=subject.workflow_ref,
        author=subject.author,
        commit_time=subject.commit_time,
    )


def _sha(commit: str | None) -> ShaView | None:
    return ShaView(commit, commit[:12]) if commit else None


def _change_view(record: ChangeRecord, platform: str) -> ChangeView:
    gitlab = platform == "gitlab"
    # GitLab writes merge requests as !7, GitHub pull requests as #7.
    number = f"{'!' if gitlab else '#'}{record.request}"
    label = record.commit[:12] if record.request is None else number
    deploy = record.deploy
    return ChangeView(
        anchor=f"change-{record.request}" if record.request is not None
        else f"change-{record.commit[:12]}",
        label=label,
        href=_web_href(record.url),
        title=record.title,
        request_kind="Merge request" if gitlab else "Pull request",
        direct=record.request is None,
        ticket=record.ticket,
        authors=record.authors,
        committers=record.committers,
        opened_by=record.opened_by,
        commits=tuple(ShaView(c, c[:12]) for c in record.commits),
        reviewed=_sha(record.reviewed_commit),
        merged=_sha(record.merged_commit),
        approvals=tuple(_approval_view(a, record.reviewed_commit) for a in record.approvals),
        counted=sum(1 for a in record.approvals if a.counted),
        merger=record.merger,
        merged_at=record.merged_at,
        branch_rules=record.branch_rules,
        checks=tuple(CheckView(name, result, _check_tone(result)) for name, result in record.checks),
        scans=record.scans,
        environments=deploy.environments,
        deploy_jobs=deploy.jobs,
        required_reviewers=deploy.required_reviewers,
        deploy_approvals=deploy.approvals,
        run_label=deploy.run_id or deploy.run_url,
        run_href=_web_href(deploy.run_url),
        ordering=record.ordering,
        ordered=record.ordered,
        exceptions=record.exceptions,
    )


def _check_tone(conclusion: str) -> str:
    value = conclusion.lower()
    return "ok" if value in _GOOD_CHECKS else "bad" if value in _BAD_CHECKS else ""


def _approval_view(approval: ApprovalRecord, reviewed: str | None) -> ApprovalView:
    return ApprovalView(
        reviewer=approval.reviewer,
        when=approval.submitted_at,
        commit=_sha(approval.commit),
        on_reviewed=bool(approval.commit and approval.commit == reviewed),
        counted=approval.counted,
        why_not=approval.why_not,
    )


def _control_view(result: ControlResult, files: dict[str, PackFile]) -> ControlView:
    findings = sorted(result.findings, key=_finding_order)
    return ControlView(
        anchor=f"control-{result.control_id.lower()}",
        control_id=result.control_id,
        title=result.title,
        status=str(result.status),
        status_label=STATUS_LABEL[result.status],
        enforced=result.enforced,
        criteria=result.criteria,
        iso27001=result.iso27001,
        rationale=result.rationale,
        findings=tuple(_finding_view(f) for f in findings),
        evidence=tuple(_evidence_view(path, files.get(path)) for path in result.evidence),
    )


def _finding_order(finding: Finding) -> tuple[int, str, int, int, str, str]:
    location = finding.location
    return (
        finding.severity.rank,
        location.path if location else "",
        (location.line or 0) if location else 0,
        (location.column or 0) if location else 0,
        finding.rule,
        finding.message,
    )


def _finding_view(finding: Finding) -> FindingView:
    return FindingView(
        severity=str(finding.severity),
        rule=finding.rule,
        help_href=_web_href(finding.help_uri),
        source=finding.source,
        confidence=finding.confidence,
        message=finding.message,
        location_path=finding.location.path if finding.location else None,
        location_suffix=str(finding.location)[len(finding.location.path) :] if finding.location else "",
        allowed_by=finding.allowed_by,
    )


def _evidence_view(path: str, packed: PackFile | None) -> EvidenceView:
    return EvidenceView(
        path=path,
        href=_pack_href(path),
        size=_human_size(packed.size) if packed else None,
        size_bytes=packed.size if packed else None,
        sha256=packed.sha256 if packed else None,
    )


def _web_href(uri: str | None) -> str | None:
    """The URI if it is an http(s) address; anything else (javascript:, data:) is not linked."""
    if not uri:
        return None
    parts = urlsplit(uri.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return uri.strip()
    return None


def _pack_href(path: str) -> str | None:
    """A relative link to a file inside the pack directory, or None if it would leave it."""
    if not path or "\\" in path or urlsplit(path).scheme or path.startswith("/"):
        return None
    normal = normpath(path)
    if normal == ".." or normal.startswith("../"):
        return None
    return quote(normal, safe="/")


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
