"""What every control is, and what it reads."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from ..model import Finding, Location, Severity, Status, Subject
from ..policy import Policy
from ..scanners.pipeline.model import PipelineAnalysis
from ..sources.platform import LocalCommit, PlatformEvidence, Unavailable

if TYPE_CHECKING:  # only annotations: the scanners and signers stay out of every control's imports
    from ..pack.artifacts import SignedArtifact
    from ..pack.verify_artifact import ArtifactCheck
    from ..scanners.deps.matching import VulnerabilityReport
    from ..scanners.deps.model import Inventory
    from ..scanners.secrets.scan import ScanResult

# Pack-relative paths of the evidence files controls refer to.
EVIDENCE_PIPELINE = "evidence/pipeline/analysis.json"
EVIDENCE_ZIZMOR = "evidence/pipeline/zizmor.json"
EVIDENCE_CONFIG_DIR = "evidence/config"
EVIDENCE_POLICY = "evidence/policy.json"
EVIDENCE_SUBJECT = "evidence/ci/subject.json"
EVIDENCE_SECRETS = "evidence/secrets/scan.json"
EVIDENCE_CHANGES = "evidence/platform/changes.json"
"""The change record of the deploy (`evidencepack.changes`), written when the platform was read."""
EVIDENCE_SBOM = "evidence/sbom/sbom.cdx.json"
"""This build's CycloneDX 1.6 SBOM, from the lockfiles of the checkout and the SBOMs given."""
EVIDENCE_INVENTORY = "evidence/sbom/inventory.json"
"""Every lockfile and SBOM read for the SBOM, with its format, component count and error."""
EVIDENCE_VULNERABILITIES = "evidence/deps/vulnerabilities.json"
"""This build's vulnerability report (`VulnerabilityReport.to_json`)."""
EVIDENCE_VULNERABILITIES_SARIF = "evidence/deps/vulnerabilities.sarif.json"
"""The same vulnerabilities as SARIF 2.1.0, for code-scanning tools."""

DOCS_BASE = "https://evidencepack.dev/controls"


@dataclass(frozen=True)
class Evidence:
    """Everything collected for one run; what is missing is None, never a guess."""

    subject: Subject
    policy: Policy
    today: date
    pipeline: PipelineAnalysis | None = None
    pipeline_error: str | None = None
    """Why the pipeline configuration could not be analysed at all."""
    platform: PlatformEvidence | None = None
    """Settings and review history read from the platform's API; None without a token."""
    platform_error: str | None = None
    """Why the platform was not read although a token was given."""
    commits: tuple[LocalCommit, ...] | None = None
    """The deploy range from the local history, when the platform was read."""
    secret_scan: ScanResult | None = None
    """evidencepack's own secret scan of the change (redacted)."""
    secret_scan_error: str | None = None
    """Why the change could not be scanned."""
    config_evidence: tuple[str, ...] = field(default=())
    """Pack-relative paths of the copies of the pipeline configuration files."""
    available: frozenset[str] | None = None
    """Every evidence file the pack will hold; references to others are dropped."""
    policy_path: str | None = None
    """The policy file, relative to the repository root; None for the defaults."""
    artifacts: tuple[SignedArtifact, ...] = ()
    """The artifacts given to the run (`--artifact`), with their signatures."""
    artifact_checks: tuple[ArtifactCheck, ...] | None = None
    """`verify-artifact` of each artifact against the build's pack (`--verified-pack`)."""
    inventory: Inventory | None = None
    """The lockfiles and SBOMs read for this build's SBOM; None when they could not be."""
    inventory_error: str | None = None
    """Why the dependency inventory could not be built."""
    vulnerabilities: VulnerabilityReport | None = None
    """This build's dependency scan: OSV matches with VEX statuses and first-seen times."""
    vulnerability_error: str | None = None
    """Why the dependencies were not scanned although a database was asked for."""


@dataclass(frozen=True)
class Outcome:
    """What a control decided, before the registry adds its identity."""

    status: Status
    rationale: str
    findings: tuple[Finding, ...] = ()
    evidence: tuple[str, ...] = ()


class Control(ABC):
    """One control of the catalog. Subclasses declare their identity once and evaluate."""

    id: ClassVar[str]
    title: ClassVar[str]
    criteria: ClassVar[tuple[str, ...]]
    """SOC 2 Trust Services Criteria the control supports."""
    iso27001: ClassVar[tuple[str, ...]] = ()
    """ISO/IEC 27001:2022 Annex A controls, where one fits."""
    evidence_needed: ClassVar[tuple[str, ...]]
    """The evidence the control reads, for a person."""
    status_rule: ClassVar[str]
    """How the status is decided, for a person."""

    @abstractmethod
    def evaluate(self, evidence: Evidence) -> Outcome:
        """Decide the status from the evidence; never raise for missing evidence."""

    @property
    def docs(self) -> str:
        return f"{DOCS_BASE}/{self.id}"

    def finding(
        self,
        rule: str,
        message: str,
        severity: Severity,
        location: Location | None = None,
    ) -> Finding:
        """A finding of this control, linked to its documentation."""
        return Finding(rule=rule, message=message, severity=severity, location=location,
                       help_uri=f"{self.docs}#{rule}")


def no_pipeline(evidence: Evidence) -> Outcome | None:
    """The `error` outcome for a control that needs the pipeline configuration, if it is absent."""
    if evidence.pipeline is None:
        reason = evidence.pipeline_error or "the pipeline configuration was not analysed"
        return Outcome(Status.ERROR, reason)
    if not evidence.pipeline.pipeline_files:
        return Outcome(
            Status.ERROR,
            "no GitHub Actions workflow (.github/workflows/*.yml) or .gitlab-ci.yml was found: "
            "the pipeline was not observed",
        )
    return None


def pipeline_evidence(evidence: Evidence) -> tuple[str, ...]:
    return (EVIDENCE_PIPELINE, *evidence.config_evidence)


def unparsed(evidence: Evidence) -> tuple[Finding, ...]:
    """Errors of configuration files that could not be read or parsed."""
    return evidence.pipeline.parse_errors if evidence.pipeline else ()


def guard_unparsed(outcome: Outcome, evidence: Evidence) -> Outcome:
    """Demote pass/not_applicable to error when some configuration was not readable.

    What was not read may hold exactly what would fail the control.
    """
    errors = unparsed(evidence)
    if not errors or outcome.status not in (Status.PASS, Status.NOT_APPLICABLE):
        return outcome
    where = ", ".join(str(e.location) for e in errors[:3] if e.location)
    return replace(
        outcome,
        status=Status.ERROR,
        rationale=(
            f"{len(errors)} configuration file(s) could not be analysed ({where}); "
            f"in what could be read: {outcome.rationale}"
        ),
        findings=(*errors, *outcome.findings),
    )


def platform_name(evidence: Evidence) -> str:
    """`GitHub` or `GitLab`, from the CI environment or the configuration found."""
    if evidence.subject.platform == "gitlab":
        return "GitLab"
    if evidence.subject.platform == "github":
        return "GitHub"
    platforms = evidence.pipeline.platforms if evidence.pipeline else ()
    if platforms == ("gitlab",):
        return "GitLab"
    return "GitHub"


def needs_platform(evidence: Evidence, what: str, platform: str | None = None) -> str:
    """The reason a platform-only fact is missing, e.g. `no GitHub token: ... not observed`."""
    if evidence.platform_error:
        return f"{what} not observed: {evidence.platform_error}"
    return f"no {platform or platform_name(evidence)} token: {what} not observed"


def unavailable_reason(evidence: Evidence, what: str, areas: tuple[Unavailable, ...]) -> str:
    """Why platform evidence is missing although the platform was read, naming permissions."""
    if not areas:
        return f"{what} not observed"
    return f"{what} not observed: " + "; ".join(str(a) for a in areas[:3])


PLATFORM_API_EVIDENCE = ("evidence/platform/github/api.json", "evidence/platform/gitlab/api.json")


def accept(
    control: str, findings: Iterable[Finding], evidence: Evidence
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """Split findings into (open, accepted by a policy allowance that has not expired)."""
    open_: list[Finding] = []
    accepted: list[Finding] = []
    for f in findings:
        path = f.location.path if f.location else None
        allowance = evidence.policy.allowance(control, f.rule, path, evidence.today)
        if allowance is None:
            open_.append(f)
        else:
            accepted.append(replace(f, allowed_by=allowance.reason))
    return tuple(open_), tuple(accepted)


def expired_allowances(control: str, evidence: Evidence) -> tuple[Finding, ...]:
    """Informational findings for allow-list entries of `control` that have expired."""
    policy_path = evidence.policy_path
    out = []
    for a in evidence.policy.allow:
        if a.control == control and a.expired(evidence.today):
            out.append(
                Finding(
                    rule="allowance-expired",
                    message=(
                        f"allow-list entry for {control} ({a.rule or 'any rule'}, "
                        f"{a.path or 'any path'}) expired on {a.expires}: no longer applied"
                    ),
                    severity=Severity.INFO,
                    location=Location(policy_path) if policy_path else None,
                )
            )
    return tuple(out)


def plural(count: int, word: str) -> str:
    if count == 1:
        return f"{count} {word}"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return f"{count} {word[:-1]}ies"
    return f"{count} {word}s"


def where(locations: Iterable[Location], limit: int = 3) -> str:
    items = [str(loc) for loc in locations]
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += f" and {len(items) - limit} more"
    return text
