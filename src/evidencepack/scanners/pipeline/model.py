"""What the pipeline configuration shows, as read offline from the checkout."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ...model import Finding, Location


class ConfigKind(StrEnum):
    GITHUB_WORKFLOW = "github-workflow"
    GITLAB_CI = "gitlab-ci"
    CODEOWNERS = "codeowners"


@dataclass(frozen=True)
class ConfigFile:
    """One pipeline configuration file found in the checkout."""

    path: str
    """Repository-relative POSIX path."""
    kind: ConfigKind
    size: int
    sha256: str
    """Digest of the bytes as read (empty when the file could not be read)."""
    tracked: bool
    """Committed to Git (as opposed to untracked in the work tree)."""
    modified: bool
    """Tracked, but the work tree differs from HEAD."""
    text: str | None = field(default=None, repr=False, compare=False)
    """Contents, when readable as UTF-8 within the size limit."""
    document: Any = field(default=None, repr=False, compare=False)
    """Parsed YAML root (`YMap`), for YAML kinds that parsed."""
    error: Finding | None = None
    """Why the file could not be read or parsed; the file is then not analysed."""

    @property
    def analysable(self) -> bool:
        return self.error is None and self.document is not None


class CapabilityKind(StrEnum):
    """Things a pipeline can declare that controls use as evidence."""

    TESTS = "tests"
    DEPENDENCY_SCAN = "dependency-scan"
    SECRET_SCAN = "secret-scan"
    SBOM = "sbom"
    SIGNING = "signing"
    VERIFY_SIGNATURE = "verify-signature"
    DEPLOY = "deploy"
    FAILURE_ALERT = "failure-alert"


@dataclass(frozen=True, order=True)
class Capability:
    """A step or job that gives the pipeline a capability."""

    kind: CapabilityKind
    location: Location
    detail: str
    """What was recognised: an action (`aquasecurity/trivy-action`), a command (`pytest`)."""
    job: str
    """`<file>#<job id>`."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "location": self.location.to_json(),
            "detail": self.detail,
            "job": self.job,
        }


class CloudMethod(StrEnum):
    STATIC = "static"
    """Long-lived keys stored as secrets or variables."""
    OIDC = "oidc"
    """Short-lived credentials through OIDC federation."""


@dataclass(frozen=True, order=True)
class CloudAccess:
    """One way the pipeline reaches a cloud provider."""

    provider: str
    """`aws`, `gcp` or `azure`."""
    method: CloudMethod
    location: Location
    detail: str
    """E.g. `secrets.AWS_SECRET_ACCESS_KEY in env` or `role-to-assume with id-token: write`."""

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "method": str(self.method),
            "location": self.location.to_json(),
            "detail": self.detail,
        }


@dataclass(frozen=True, order=True)
class DeployJob:
    """A job that deploys, and what guards it."""

    job: str
    """`<file>#<job id>`."""
    location: Location
    detail: str
    """What makes it a deploy job (environment name, command, action)."""
    environment: str | None
    """Deployment environment the job targets, if any."""
    verification: Location | None
    """A signature/attestation verification that runs before the deploy step, if any."""
    branches: tuple[str, ...] = ()
    """Branches the job runs for, as far as triggers and rules show ('*' = any)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "location": self.location.to_json(),
            "detail": self.detail,
            "environment": self.environment,
            "verification": self.verification.to_json() if self.verification else None,
            "branches": list(self.branches),
        }


@dataclass(frozen=True)
class WorkflowPermissions:
    """The token permissions a GitHub workflow declares."""

    path: str
    top_level: str | None
    """`read-all`, `write-all`, `{}`, `scoped` or None when absent."""
    jobs_without_permissions: tuple[str, ...]
    """Job ids that declare no `permissions` of their own."""

    @property
    def relies_on_repository_default(self) -> bool:
        return self.top_level is None and bool(self.jobs_without_permissions)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "top_level": self.top_level,
            "jobs_without_permissions": list(self.jobs_without_permissions),
            "relies_on_repository_default": self.relies_on_repository_default,
        }


@dataclass(frozen=True)
class CodeOwnersCoverage:
    """Which CI configuration paths a CODEOWNERS file assigns to owners."""

    path: str | None
    """The CODEOWNERS file in effect, None when there is none."""
    covered: tuple[tuple[str, tuple[str, ...]], ...]
    """(CI config path, owners) for each path with owners."""
    uncovered: tuple[str, ...]
    """CI config paths no rule assigns an owner to."""

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "covered": [{"path": p, "owners": list(o)} for p, o in self.covered],
            "uncovered": list(self.uncovered),
        }


@dataclass(frozen=True)
class PipelineAnalysis:
    """Everything the controls learn from the pipeline configuration."""

    files: tuple[ConfigFile, ...]
    cloud_access: tuple[CloudAccess, ...] = ()
    permissions: tuple[WorkflowPermissions, ...] = ()
    permission_findings: tuple[Finding, ...] = ()
    """AC-2: write-all, write scopes jobs do not need, reliance on the repository default."""
    hardening: tuple[Finding, ...] = ()
    """HD-1: zizmor's findings (GitHub) and ours (GitLab)."""
    hardening_engine: str = ""
    """The engine and version that produced the GitHub hardening findings."""
    hardening_error: str | None = None
    """Why the GitHub hardening audit could not run, if it could not."""
    capabilities: tuple[Capability, ...] = ()
    deploy_jobs: tuple[DeployJob, ...] = ()
    codeowners: CodeOwnersCoverage | None = None
    artifact_retention_days: tuple[tuple[Location, int], ...] = ()
    """Retention the configuration sets on uploaded artifacts/logs (days), where it does."""
    notes: tuple[str, ...] = ()
    """Things analysis noticed but could not resolve (e.g. a remote include not fetched)."""
    job_names: tuple[tuple[str, str], ...] = ()
    """(`<file>#<job id>`, display name) of every job, as its check runs are named."""

    @property
    def pipeline_files(self) -> tuple[ConfigFile, ...]:
        return tuple(f for f in self.files if f.kind is not ConfigKind.CODEOWNERS)

    @property
    def parse_errors(self) -> tuple[Finding, ...]:
        return tuple(f.error for f in self.pipeline_files if f.error is not None)

    def has(self, kind: CapabilityKind) -> tuple[Capability, ...]:
        return tuple(c for c in self.capabilities if c.kind is kind)

    @property
    def platforms(self) -> tuple[str, ...]:
        kinds = {f.kind for f in self.pipeline_files}
        out = []
        if ConfigKind.GITHUB_WORKFLOW in kinds:
            out.append("github")
        if ConfigKind.GITLAB_CI in kinds:
            out.append("gitlab")
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [
                {
                    "path": f.path,
                    "kind": str(f.kind),
                    "size": f.size,
                    "sha256": f.sha256,
                    "tracked": f.tracked,
                    "modified": f.modified,
                    "error": f.error.to_json() if f.error else None,
                }
                for f in self.files
            ],
            "cloud_access": [c.to_json() for c in self.cloud_access],
            "permissions": [p.to_json() for p in self.permissions],
            "permission_findings": [f.to_json() for f in self.permission_findings],
            "hardening_engine": self.hardening_engine,
            "hardening_error": self.hardening_error,
            "hardening": [f.to_json() for f in self.hardening],
            "capabilities": [c.to_json() for c in self.capabilities],
            "deploy_jobs": [d.to_json() for d in self.deploy_jobs],
            "codeowners": self.codeowners.to_json() if self.codeowners else None,
            "artifact_retention_days": [
                {"location": loc.to_json(), "days": days}
                for loc, days in self.artifact_retention_days
            ],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class PlatformFindings:
    """What one platform's analyser (GitHub Actions or GitLab CI) contributes."""

    cloud_access: tuple[CloudAccess, ...] = ()
    permissions: tuple[WorkflowPermissions, ...] = ()
    permission_findings: tuple[Finding, ...] = ()
    hardening: tuple[Finding, ...] = ()
    capabilities: tuple[Capability, ...] = ()
    deploy_jobs: tuple[DeployJob, ...] = ()
    artifact_retention_days: tuple[tuple[Location, int], ...] = ()
    notes: tuple[str, ...] = ()
    job_names: tuple[tuple[str, str], ...] = ()
    """(`<file>#<job id>`, display name) of every job, as its check runs are named."""
