"""GitHub Actions workflows, read offline: cloud access, token permissions, capabilities, deploys.

Every workflow is analysed on its own from the parsed tree (`yamltree`), so every result
points at the line that shows it. Shapes GitHub would reject (a string where a mapping is
expected, `steps` that is not a list) are skipped rather than guessed at: the hardening
audit reports invalid workflows, this analysis only reads what is there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ...model import Finding, Location, Severity
from ...yamltree import YMap, YSeq
from .capabilities import action_name, recognise_action, recognise_script
from .credentials import credential_provider
from .model import (
    Capability,
    CapabilityKind,
    CloudAccess,
    CloudMethod,
    ConfigFile,
    ConfigKind,
    DeployJob,
    PlatformFindings,
    WorkflowPermissions,
)

# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _CloudAction:
    """An action that logs in to a cloud, and which of its inputs mean which method."""

    provider: str
    static_inputs: tuple[str, ...]
    """Inputs that carry a long-lived credential."""
    oidc_inputs: tuple[str, ...]
    """Inputs that name a federated identity; OIDC when no static input is given."""


_CLOUD_ACTIONS: dict[str, _CloudAction] = {
    "aws-actions/configure-aws-credentials": _CloudAction(
        "aws", ("aws-access-key-id", "aws-secret-access-key", "aws-session-token"),
        ("role-to-assume",),
    ),
    "google-github-actions/auth": _CloudAction(
        "gcp", ("credentials_json",), ("workload_identity_provider",)
    ),
    "google-github-actions/setup-gcloud": _CloudAction("gcp", ("service_account_key",), ()),
    "azure/login": _CloudAction("azure", ("creds", "client-secret"), ("client-id",)),
}

# A static AWS access key id written into the file; AWS's documentation example is not one.
_AWS_KEY_ID = re.compile(r"\bAKIA[0-9A-Z]{16}\b")
_AWS_EXAMPLE_SUFFIX = "EXAMPLE"

# `${{ secrets.NAME }}`, `${{ vars.NAME }}`, `secrets['NAME']`.
_CONTEXT_REFERENCE = re.compile(
    r"\b(secrets|vars|env)\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])"
)

_ALL_SCOPES = "*"
"""Needed-scope marker for a step that may use the token for anything."""


@dataclass(frozen=True)
class _TokenUse:
    """A sign that a step uses a token scope: an action or a command in its script.

    `mentions`, when set, must also occur somewhere in the workflow (a registry host, say).
    """

    action: re.Pattern[str] | None = None
    command: re.Pattern[str] | None = None
    mentions: str | None = None


def _action(pattern: str, mentions: str | None = None) -> _TokenUse:
    return _TokenUse(action=re.compile(pattern, re.IGNORECASE), mentions=mentions)


def _command(pattern: str, mentions: str | None = None) -> _TokenUse:
    # Any word boundary is enough: a false "needed" only hides a finding, never adds one.
    return _TokenUse(command=re.compile(rf"(?<![\w-]){pattern}"), mentions=mentions)


_RELEASE_PLEASE = r"(?:googleapis|google-github-actions)/release-please-action"
_SEMANTIC_RELEASE = r"cycjimmy/semantic-release-action|codfish/semantic-release-action"
_PR_COMMENT = (r"peter-evans/create-or-update-comment|marocchino/sticky-pull-request-comment"
               r"|thollander/actions-comment-pull-request|mshick/add-pr-comment")

# Which write scope of the GITHUB_TOKEN each step needs, by what the step uses or runs.
_SCOPE_NEEDS: dict[str, tuple[_TokenUse, ...]] = {
    "contents": (
        _action(r"softprops/action-gh-release|ncipollo/release-action|actions/create-release"
                r"|actions/upload-release-asset|svenstaro/upload-release-action"),
        _action(r"goreleaser/goreleaser-action|changesets/action|release-drafter/release-drafter"),
        _action(rf"{_RELEASE_PLEASE}|{_SEMANTIC_RELEASE}"),
        _action(r"peter-evans/create-pull-request|stefanzweifel/git-auto-commit-action"
                r"|EndBug/add-and-commit"),
        _action(r"peaceiris/actions-gh-pages|JamesIves/github-pages-deploy-action"),
        _action(r"mathieudutour/github-tag-action|anothrNick/github-tag-action"
                r"|rickstaa/action-create-tag"),
        _action(r".*/dependency-submission(?:-action)?|advanced-security/.*dependency-submission.*"),
        _action(r"actions/publish-immutable-action"),
        _command(r"git\s+(?:[\w.=-]+\s+)*push\b"),
        _command(r"gh\s+release\b"),
        _command(r"goreleaser\b"),
        _command(r"(?:npx\s+)?semantic-release\b"),
        _command(r"release-please\b"),
    ),
    "packages": (
        _action(r"docker/build-push-action"),
        _action(r"docker/login-action", mentions="ghcr.io"),
        _action(r"actions/publish-immutable-action"),
        _action(r"ko-build/setup-ko", mentions="ghcr.io"),
        _command(r"docker\s+(?:buildx\s+|manifest\s+)?(?:push|imagetools\s+create)\b"),
        _command(r"docker\s+buildx\s+build\b[^\n]*--push\b"),
        _command(r"(?:ko|crane|oras|skopeo|helm)\s+(?:build|publish|push|copy|cp|resolve)\b",
                 mentions="ghcr.io"),
        _command(r"(?:npm|yarn|pnpm)\s+publish\b", mentions="npm.pkg.github.com"),
        _command(r"goreleaser\b", mentions="ghcr.io"),
    ),
    "pull-requests": (
        _action(r"peter-evans/create-pull-request|actions/labeler|dependabot/fetch-metadata"),
        _action(_PR_COMMENT),
        _action(r"actions/stale|actions/first-interaction|dessant/lock-threads"),
        _action(r"release-drafter/release-drafter|nodejs/node-pr-labeler|readthedocs/actions"
                r"|actions-ecosystem/action-add-labels"),
        _action(rf"{_RELEASE_PLEASE}|{_SEMANTIC_RELEASE}|changesets/action"),
        _command(r"gh\s+pr\b"),
        _command(r"(?:npx\s+)?semantic-release\b"),
    ),
    "issues": (
        _action(r"actions/stale|actions/first-interaction|dessant/lock-threads"),
        _action(r"peter-evans/create-issue-from-file|JasonEtco/create-an-issue"
                r"|dacbd/create-issue-action|jayqi/failed-build-issue-action"
                r"|knqyf263/trivy-issue-action|actions-ecosystem/action-add-labels"),
        _action(_PR_COMMENT),
        _action(rf"{_RELEASE_PLEASE}|{_SEMANTIC_RELEASE}"),
        _command(r"gh\s+(?:issue|label)\b"),
        _command(r"(?:npx\s+)?semantic-release\b"),
    ),
    "id-token": (
        _action(r"aws-actions/configure-aws-credentials|google-github-actions/auth|azure/login"),
        _action(r"sigstore/cosign-installer|sigstore/gh-action-sigstore-python"),
        _action(r"actions/attest.*|actions/publish-immutable-action"),
        _action(r"pypa/gh-action-pypi-publish|rust-lang/crates-io-auth-action"),
        _action(r"slsa-framework/slsa-github-generator/.*|ossf/scorecard-action"),
        _action(r"hashicorp/vault-action|CodSpeedHQ/action"),
        _action(r"evidencepack/evidencepack", mentions="keyless"),
        _action(r"codecov/codecov-action", mentions="use_oidc"),
        _command(r"cosign\s+(?:sign|sign-blob|attest|attest-blob)\b|--cosign\b|[\w-]*keyless"),
        _command(r"(?:python3?\s+-m\s+)?sigstore\s+(?:sign|attest)\b"),
        _command(r"(?:npm|pnpm|yarn)\s+publish\b"),
        _command(r"(?:uv|twine|poetry|hatch)\s+publish\b|twine\s+upload\b"),
    ),
    "attestations": (
        _action(r"actions/attest.*"),
        _command(r"gh\s+attestation\b"),
    ),
    "security-events": (
        _action(r"github/codeql-action(?:/.*)?|zizmorcore/zizmor-action|ossf/scorecard-action"),
        _action(r"microsoft/security-devops-action|advanced-security/.*"),
        # evidencepack's own action uploads its SARIF log unless `upload-sarif: false`.
        _action(r"evidencepack/evidencepack"),
    ),
    "pages": (
        _action(r"actions/deploy-pages"),
    ),
    "discussions": (
        _action(r"dessant/lock-threads|abirismyname/create-discussion"),
    ),
    "deployments": (
        _action(r"chrnorm/deployment-action|chrnorm/deployment-status|bobheadxi/deployments"),
    ),
    "statuses": (
        _action(r"(?:github|super-linter)/super-linter(?:/.*)?|Sibz/github-status-action"
                r"|myrotvorets/set-commit-status-action|ouzi-dev/commit-status-updater"),
    ),
    "checks": (
        _action(r"dorny/test-reporter|EnricoMi/publish-unit-test-result-action(?:/.*)?"
                r"|mikepenz/action-junit-report|LouisBrunner/checks-action"),
    ),
    "actions": (
        _action(r"geekyeggo/delete-artifact|benc-uk/workflow-dispatch"),
        _command(r"gh\s+(?:workflow\s+(?:run|enable|disable)|run\s+(?:rerun|cancel|delete)"
                 r"|cache\s+delete)\b"),
    ),
}

# Steps that can use the token for anything: a script against the API, or code we cannot
# see from the workflow (local actions). A job calling a reusable workflow counts too.
_USES_ANY_SCOPE: tuple[_TokenUse, ...] = (
    _action(r"actions/github-script|octokit/request-action|octokit/graphql-action"),
    _action(r"\./.*"),
    _command(r"gh\s+api\b"),
    _command(r"api\.github\.com"),
)

# `if:` conditions that hold only when something failed.
_FAILURE_CONDITION = re.compile(
    r"(?<![!\w.])failure\(\)|!\s*success\(\)"
    r"|==\s*['\"]failure['\"]|['\"]failure['\"]\s*=="
    r"|(?<!!)contains\(\s*needs\.\*\.result\s*,\s*['\"]failure['\"]\s*\)"
)

# A job `if:` that pins the ref narrows the branches a deploy job runs for.
_REF_CONDITIONS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"github\.ref\s*==\s*['\"]refs/heads/([^'\"]+)['\"]"), None),
    (re.compile(r"github\.ref_name\s*==\s*['\"]([^'\"]+)['\"]"), None),
    (re.compile(r"startsWith\(\s*github\.ref\s*,\s*['\"]refs/tags/"), "tags"),
)

# Triggers that run on a ref the person starting them chooses.
_ANY_REF_TRIGGERS = ("workflow_dispatch", "workflow_call", "repository_dispatch")

_HELP = "https://evidencepack.dev/controls/AC-2#{rule}"


# --------------------------------------------------------------------------------------
# The parsed workflow
# --------------------------------------------------------------------------------------


@dataclass
class _Step:
    index: int
    node: YMap
    action: str | None
    """`owner/repo[/path]` of `uses:`, without the ref."""
    run: str | None
    run_line: int
    """Line of the first line of the script."""
    commands: str
    """The script and the `with:` inputs: actions often take a command line as input."""


@dataclass
class _Job:
    job_id: str
    node: YMap
    ref: str
    """`<file>#<job id>`."""
    steps: list[_Step] | None
    """None when `steps` is absent or not a list (a reusable workflow call, or odd YAML)."""
    capabilities: list[tuple[int, Capability]]
    """Capabilities of the steps, with the index of the step."""


@dataclass
class _Workflow:
    path: str
    root: YMap
    lines: list[str]
    text: str
    jobs: list[_Job]

    def location(self, mark: tuple[int, int]) -> Location:
        return Location(self.path, mark[0], mark[1])

    def first_content_line(self, node: YMap, key: str) -> int:
        """Line of a scalar value's first character; block scalars start after `|`/`>`."""
        line, col = node.value_mark(key)
        if 0 < line <= len(self.lines):
            text = self.lines[line - 1]
            if 0 < col <= len(text) and text[col - 1] in "|>":
                return line + 1
        elif isinstance(node.get(key), str) and "\n" in node[key]:
            return line + 1
        return line


def _load(f: ConfigFile) -> _Workflow | None:
    root = f.document
    if not isinstance(root, YMap):
        return None
    text = f.text if f.text is not None else "\n".join(_strings(root))
    lines = [line.rstrip("\r") for line in f.text.split("\n")] if f.text is not None else []
    wf = _Workflow(f.path, root, lines, text, [])
    jobs = root.get("jobs")
    if not isinstance(jobs, YMap):
        return wf
    for job_id, node in jobs.items():
        if not isinstance(node, YMap):
            continue
        ref = f"{f.path}#{job_id}"
        raw_steps = node.get("steps")
        steps: list[_Step] | None = None
        if isinstance(raw_steps, YSeq):
            steps = []
            for index, step in enumerate(raw_steps):
                if not isinstance(step, YMap):
                    continue
                uses = step.get("uses")
                run = step.get("run")
                steps.append(_Step(
                    index=index,
                    node=step,
                    action=action_name(uses) if isinstance(uses, str) else None,
                    run=run if isinstance(run, str) else None,
                    run_line=wf.first_content_line(step, "run"),
                    commands="\n".join(
                        ([run] if isinstance(run, str) else []) + list(_strings(step.get("with")))
                    ),
                ))
        capabilities = [(step.index, capability) for step in steps or ()
                        for capability in _step_capabilities(wf, ref, step)]
        wf.jobs.append(_Job(str(job_id), node, ref, steps, capabilities))
    return wf


def _strings(node: Any) -> Iterator[str]:
    """Every string scalar (keys and values) under `node`."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def analyze_github(files: Sequence[ConfigFile]) -> PlatformFindings:
    """What the GitHub Actions workflows among `files` show, read offline."""
    cloud: list[CloudAccess] = []
    permissions: list[WorkflowPermissions] = []
    permission_findings: list[Finding] = []
    capabilities: list[Capability] = []
    deploy_jobs: list[DeployJob] = []
    retention: list[tuple[Location, int]] = []
    notes: list[str] = []
    job_names: list[tuple[str, str]] = []
    for f in files:
        if f.kind is not ConfigKind.GITHUB_WORKFLOW or not f.analysable:
            continue
        wf = _load(f)
        if wf is None:
            continue
        found_cloud, cloud_notes = _cloud_access(wf)
        cloud.extend(found_cloud)
        notes.extend(cloud_notes)
        declared, findings, permission_notes = _permissions(wf)
        permissions.append(declared)
        permission_findings.extend(findings)
        notes.extend(permission_notes)
        capabilities.extend(_capabilities(wf))
        deploy_jobs.extend(_deploy_jobs(wf))
        retention.extend(_artifact_retention(wf))
        # Check runs carry the job's `name:` (or its id), which required checks list.
        job_names.extend((job.ref, str(job.node.get("name") or job.job_id)) for job in wf.jobs)
    return PlatformFindings(
        cloud_access=tuple(cloud),
        permissions=tuple(permissions),
        permission_findings=tuple(permission_findings),
        capabilities=tuple(capabilities),
        deploy_jobs=tuple(deploy_jobs),
        artifact_retention_days=tuple(retention),
        notes=tuple(notes),
        job_names=tuple(job_names),
    )


# --------------------------------------------------------------------------------------
# AC-1: cloud access
# --------------------------------------------------------------------------------------


def _references(value: str) -> Iterator[tuple[str, int]]:
    """`secrets.NAME` / `vars.NAME` / `env.NAME` references in `value`, with their offsets."""
    for match in _CONTEXT_REFERENCE.finditer(value):
        yield f"{match.group(1)}.{match.group(2) or match.group(3)}", match.start()


def _is_stored_credential(value: Any) -> bool:
    """A literal, or an expression reading secrets/vars/env (not a step's fresh output)."""
    if not isinstance(value, str) or not value.strip():
        return False
    return "${{" not in value or any(True for _ in _references(value))


def _describe_source(value: str) -> str:
    """Names the secrets or variables `value` reads; never the value itself."""
    names = [name for name, _ in _references(value)]
    return "from " + ", ".join(dict.fromkeys(names)) if names else "as a literal value"


class _CloudCollector:
    """Cloud access entries of one workflow, one per provider, method and line."""

    def __init__(self, wf: _Workflow) -> None:
        self.wf = wf
        self.entries: dict[tuple[str, CloudMethod, int | None], CloudAccess] = {}

    def add(self, provider: str, method: CloudMethod, location: Location, detail: str) -> None:
        key = (provider, method, location.line)
        self.entries.setdefault(key, CloudAccess(provider, method, location, detail))

    def scan_mapping(self, node: Any, where: str) -> None:
        """Credentials passed through an `env:`, `with:` or `secrets:` mapping."""
        if not isinstance(node, YMap):
            return
        for key, value in node.items():
            if not isinstance(value, str):
                continue
            self.scan_string(value, self.wf.first_content_line(node, key),
                             node.value_mark(key)[1], f"{where} {key}", str(key))

    def scan_string(self, value: str, line: int, col: int | None, where: str,
                    key: str | None = None) -> None:
        """Credential names referenced in `value`; `key` is the name it is passed as.

        `env.` references are left out: an env variable is reported where a secret sets
        it, and a login action's own exported credentials are not stored ones.
        """
        stored = [(name, offset) for name, offset in _references(value)
                  if not name.startswith("env.")]
        named = False
        for name, offset in stored:
            provider = credential_provider(name.split(".", 1)[1])
            if provider is None:
                continue
            named = True
            at_line = line + value.count("\n", 0, offset)
            at_col = col if "\n" not in value else None
            self.add(provider, CloudMethod.STATIC, Location(self.wf.path, at_line, at_col),
                     f"{name} in {where}")
        if named or key is None or not stored:
            return
        provider = credential_provider(key.replace("-", "_"))
        if provider is not None:
            self.add(provider, CloudMethod.STATIC, Location(self.wf.path, line, col),
                     f"{stored[0][0]} in {where}")


def _cloud_access(wf: _Workflow) -> tuple[list[CloudAccess], list[str]]:
    collector = _CloudCollector(wf)
    notes: list[str] = []
    for job in wf.jobs:
        for step in job.steps or ():
            note = _cloud_action(collector, wf, job, step)
            if note:
                notes.append(note)
    collector.scan_mapping(wf.root.get("env"), "workflow env")
    for job in wf.jobs:
        collector.scan_mapping(job.node.get("env"), f"job {job.job_id} env")
        collector.scan_mapping(job.node.get("with"), f"job {job.job_id} with")
        collector.scan_mapping(job.node.get("secrets"), f"job {job.job_id} secrets")
        for step in job.steps or ():
            where = f"job {job.job_id} step {step.index + 1}"
            collector.scan_mapping(step.node.get("env"), f"{where} env")
            collector.scan_mapping(step.node.get("with"), f"{where} with")
            if step.run is not None:
                collector.scan_string(step.run, step.run_line, None, f"{where} run")
    for number, line in enumerate(wf.lines, start=1):
        for match in _AWS_KEY_ID.finditer(line):
            if not match.group().endswith(_AWS_EXAMPLE_SUFFIX):
                collector.add("aws", CloudMethod.STATIC,
                              Location(wf.path, number, match.start() + 1),
                              "literal AWS access key id (AKIA...) in the file")
    return list(collector.entries.values()), notes


def _cloud_action(collector: _CloudCollector, wf: _Workflow, job: _Job, step: _Step) -> str | None:
    """Record how a cloud login action authenticates; a note when OIDC cannot work."""
    if step.action is None:
        return None
    spec = _CLOUD_ACTIONS.get(step.action.lower())
    inputs = step.node.get("with")
    if spec is None or not isinstance(inputs, YMap):
        return None
    static = [name for name in spec.static_inputs if _is_stored_credential(inputs.get(name))]
    for name in static:
        collector.add(spec.provider, CloudMethod.STATIC, wf.location(inputs.value_mark(name)),
                      f"{step.action} with {name} {_describe_source(inputs[name])}")
    if static:
        return None
    federated = [name for name in spec.oidc_inputs
                 if isinstance(inputs.get(name), str) and inputs[name].strip()]
    if not federated:
        return None
    granted = _grants(_effective_permissions(wf, job)[0], "id-token")
    name = federated[0]
    grant = "with" if granted else "without"
    collector.add(spec.provider, CloudMethod.OIDC, wf.location(inputs.value_mark(name)),
                  f"{step.action} {name} {grant} id-token: write")
    if granted:
        return None
    line = inputs.value_mark(name)[0]
    return (f"{wf.path}:{line}: job `{job.job_id}` uses {step.action} through OIDC but is not "
            "granted `id-token: write`, so it cannot obtain a token")


# --------------------------------------------------------------------------------------
# AC-2: token permissions
# --------------------------------------------------------------------------------------


def _declares_permissions(node: YMap) -> bool:
    return node.get("permissions") is not None


def _effective_permissions(wf: _Workflow, job: _Job) -> tuple[Any, YMap | None]:
    """The permissions a job runs with, and the mapping that declares them (None: default)."""
    if _declares_permissions(job.node):
        return job.node["permissions"], job.node
    if _declares_permissions(wf.root):
        return wf.root["permissions"], wf.root
    return None, None


def _grants(permissions: Any, scope: str) -> bool:
    if permissions == "write-all":
        return True
    return isinstance(permissions, YMap) and permissions.get(scope) == "write"


def _shape(permissions: Any) -> str | None:
    if permissions is None:
        return None
    if isinstance(permissions, YMap):
        return "scoped" if permissions else "{}"
    return str(permissions)


def _finding(rule: str, severity: Severity, message: str, location: Location) -> Finding:
    return Finding(rule=rule, message=message, severity=severity, location=location,
                   help_uri=_HELP.format(rule=rule))


def _permissions(wf: _Workflow) -> tuple[WorkflowPermissions, list[Finding], list[str]]:
    findings: list[Finding] = []
    notes: list[str] = []
    top = wf.root.get("permissions")
    without = [job for job in wf.jobs if not _declares_permissions(job.node)]
    declared = WorkflowPermissions(
        path=wf.path,
        top_level=_shape(top),
        jobs_without_permissions=tuple(job.job_id for job in without),
    )

    for owner, label in [(wf.root, "The workflow")] + [
        (job.node, f"Job `{job.job_id}`") for job in wf.jobs
    ]:
        value = owner.get("permissions")
        if value == "write-all":
            findings.append(_finding(
                "write-all", Severity.HIGH,
                f"{label} grants `permissions: write-all`: every scope of the token can write",
                wf.location(owner.value_mark("permissions")),
            ))
        elif value is not None and not isinstance(value, YMap) and value != "read-all":
            line = owner.value_mark("permissions")[0]
            notes.append(f"{wf.path}:{line}: `permissions` is neither a mapping nor "
                         "read-all/write-all; its scopes cannot be checked")

    if top is None and without:
        names = ", ".join(f"`{job.job_id}`" for job in without)
        where = wf.root.key_mark("jobs") if "jobs" in wf.root else (1, 1)
        findings.append(_finding(
            "default-permissions", Severity.MEDIUM,
            f"No top-level `permissions` and job(s) {names} declare none: they run with the "
            "repository's default token permissions, which cannot be read offline",
            wf.location(where),
        ))

    needs = {job.job_id: _needed_scopes(wf, job) for job in wf.jobs}
    for job in wf.jobs:
        own = job.node.get("permissions")
        if isinstance(own, YMap):
            for scope in _write_scopes(own):
                if not _needs(needs[job.job_id], scope):
                    findings.append(_finding(
                        "unneeded-write-scope", Severity.MEDIUM,
                        f"Job `{job.job_id}` grants `{scope}: write` but none of its steps "
                        "needs it",
                        wf.location(own.key_mark(scope)),
                    ))
    if isinstance(top, YMap) and without:
        for scope in _write_scopes(top):
            idle = [job.job_id for job in without if not _needs(needs[job.job_id], scope)]
            if idle:
                names = ", ".join(f"`{job_id}`" for job_id in idle)
                findings.append(_finding(
                    "unneeded-write-scope", Severity.MEDIUM,
                    f"Workflow-level `{scope}: write` reaches job(s) {names}, none of whose "
                    "steps needs it",
                    wf.location(top.key_mark(scope)),
                ))
    return declared, findings, notes


def _write_scopes(permissions: YMap) -> list[str]:
    return [str(scope) for scope, level in permissions.items() if level == "write"]


def _needs(needed: set[str], scope: str) -> bool:
    return _ALL_SCOPES in needed or scope in needed


def _matches(use: _TokenUse, step: _Step, workflow_text: str) -> bool:
    if use.mentions is not None and use.mentions not in workflow_text:
        return False
    if use.action is not None:
        return step.action is not None and use.action.fullmatch(step.action) is not None
    if use.command is not None:
        return use.command.search(step.commands) is not None
    return False


def _needed_scopes(wf: _Workflow, job: _Job) -> set[str]:
    """Token scopes some step of `job` needs to write; `_ALL_SCOPES` when it cannot be told."""
    if job.steps is None:
        # A reusable workflow receives the caller's grant; we cannot see what it does with it.
        return {_ALL_SCOPES}
    needed: set[str] = set()
    for step in job.steps:
        if any(_matches(use, step, wf.text) for use in _USES_ANY_SCOPE):
            return {_ALL_SCOPES}
        for scope, uses in _SCOPE_NEEDS.items():
            if scope not in needed and any(_matches(use, step, wf.text) for use in uses):
                needed.add(scope)
    return needed


# --------------------------------------------------------------------------------------
# Capabilities, deploy jobs, retention
# --------------------------------------------------------------------------------------


def _step_label(step: _Step) -> str:
    name = step.node.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    if step.action is not None:
        return step.action
    return "run step" if step.run is not None else f"step {step.index + 1}"


def _step_capabilities(wf: _Workflow, job_ref: str, step: _Step) -> list[Capability]:
    """What one step gives the pipeline, by its action, its script and its condition."""
    found: list[Capability] = []
    if step.action is not None:
        uses_at = wf.location(step.node.value_mark("uses"))
        found.extend(Capability(kind, uses_at, detail, job_ref)
                     for kind, detail in recognise_action(step.action))
    if step.run is not None:
        found.extend(
            Capability(kind, Location(wf.path, step.run_line + offset), detail, job_ref)
            for kind, detail, offset in recognise_script(step.run)
        )
    condition = step.node.get("if")
    if (isinstance(condition, str) and _FAILURE_CONDITION.search(condition)
            and not any(c.kind is CapabilityKind.FAILURE_ALERT for c in found)):
        found.append(Capability(
            CapabilityKind.FAILURE_ALERT, wf.location(step.node.value_mark("if")),
            f"on failure: {_step_label(step)}", job_ref,
        ))
    return found


def _capabilities(wf: _Workflow) -> list[Capability]:
    """Capabilities of the steps, then those of each job as a whole."""
    out: list[Capability] = []
    for job in wf.jobs:
        out.extend(c for _, c in job.capabilities)
        condition = job.node.get("if")
        if (isinstance(condition, str) and _FAILURE_CONDITION.search(condition)
                and (job.steps or job.node.get("uses"))):
            out.append(Capability(
                CapabilityKind.FAILURE_ALERT, wf.location(job.node.value_mark("if")),
                f"job {job.job_id} runs on failure", job.ref,
            ))
        environment, where = _environment(job)
        if environment is not None and where is not None:
            out.append(Capability(CapabilityKind.DEPLOY, wf.location(where),
                                  f"environment {environment}", job.ref))
    return out


def _environment(job: _Job) -> tuple[str | None, tuple[int, int] | None]:
    """The job's deployment environment name and where it is written."""
    value = job.node.get("environment")
    if isinstance(value, YMap):
        name = value.get("name")
        if name is not None and not isinstance(name, YMap | YSeq):
            return str(name), value.value_mark("name")
        return None, None
    if value is None or isinstance(value, YSeq) or value == "":
        return None, None
    return str(value), job.node.value_mark("environment")


def _needed_jobs(wf: _Workflow, job: _Job) -> list[_Job]:
    """Jobs `job` waits for through `needs:`, transitively, in workflow order."""
    by_id = {j.job_id: j for j in wf.jobs}
    seen: set[str] = set()
    pending = [job]
    while pending:
        needs = pending.pop().node.get("needs")
        names = [needs] if isinstance(needs, str) else needs if isinstance(needs, YSeq) else []
        for name in names:
            if isinstance(name, str) and name in by_id and name not in seen:
                seen.add(name)
                pending.append(by_id[name])
    return [j for j in wf.jobs if j.job_id in seen and j is not job]


def _deploy_jobs(wf: _Workflow) -> list[DeployJob]:
    triggers = _trigger_branches(wf.root.get("on"))
    out: list[DeployJob] = []
    for job in wf.jobs:
        environment, where = _environment(job)
        deploys = [(i, c) for i, c in job.capabilities if c.kind is CapabilityKind.DEPLOY]
        if environment is None and not deploys:
            continue
        details = ([f"environment {environment}"] if environment is not None else []) + list(
            dict.fromkeys(c.detail for _, c in deploys)
        )
        location = wf.location(where) if where is not None else deploys[0][1].location
        verifies = [(i, c) for i, c in job.capabilities
                    if c.kind is CapabilityKind.VERIFY_SIGNATURE]
        if deploys:
            first = (deploys[0][0], deploys[0][1].location.line or 0)
            verifies = [(i, c) for i, c in verifies if (i, c.location.line or 0) < first]
        verification = verifies[0][1].location if verifies else None
        if verification is None:
            verification = next(
                (c.location for j in _needed_jobs(wf, job) for _, c in j.capabilities
                 if c.kind is CapabilityKind.VERIFY_SIGNATURE),
                None,
            )
        out.append(DeployJob(
            job=job.ref,
            location=location,
            detail="; ".join(details),
            environment=environment,
            verification=verification,
            branches=_job_branches(job, triggers),
        ))
    return out


def _trigger_branches(on: Any) -> tuple[str, ...]:
    """Branches a workflow runs for: push filters, `tags`, or `*` for any ref."""
    if isinstance(on, str):
        events: dict[str, Any] = {on: None}
    elif isinstance(on, list):
        events = {event: None for event in on if isinstance(event, str)}
    elif isinstance(on, dict):
        events = {str(event): value for event, value in on.items()}
    else:
        return ("*",)
    branches: list[str] = []
    if "push" in events:
        push = events["push"]
        filters = push.get("branches") if isinstance(push, dict) else None
        if isinstance(filters, str):
            branches.append(filters)
        elif isinstance(filters, list) and filters:
            branches.extend(str(b) for b in filters)
        elif isinstance(push, dict) and "branches-ignore" not in push and (
            "tags" in push or "tags-ignore" in push
        ):
            pass
        else:
            branches.append("*")
        if isinstance(push, dict) and ("tags" in push or "tags-ignore" in push):
            branches.append("tags")
    if "release" in events:
        branches.append("tags")
    if not branches or any(event in events for event in _ANY_REF_TRIGGERS) or "*" in branches:
        return ("*",)
    return tuple(dict.fromkeys(branches))


def _job_branches(job: _Job, triggers: tuple[str, ...]) -> tuple[str, ...]:
    """Trigger branches, narrowed by a job `if:` that pins the ref (and is not an `||`)."""
    condition = job.node.get("if")
    if not isinstance(condition, str) or "||" in condition:
        return triggers
    pinned: list[str] = []
    for pattern, fixed in _REF_CONDITIONS:
        pinned.extend(fixed or m.group(1) for m in pattern.finditer(condition))
    return tuple(dict.fromkeys(pinned)) if pinned else triggers


def _artifact_retention(wf: _Workflow) -> list[tuple[Location, int]]:
    out: list[tuple[Location, int]] = []
    for job in wf.jobs:
        for step in job.steps or ():
            inputs = step.node.get("with")
            if (step.action is None or step.action.lower() != "actions/upload-artifact"
                    or not isinstance(inputs, YMap)):
                continue
            days = inputs.get("retention-days")
            if isinstance(days, str) and days.strip().isdigit():
                days = int(days)
            if isinstance(days, int) and not isinstance(days, bool):
                out.append((wf.location(inputs.value_mark("retention-days")), days))
    return out
