"""The GitHub Actions analyser, on real workflow files named by the case they cover."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from evidencepack.model import Location, Severity
from evidencepack.scanners.pipeline.github import analyze_github
from evidencepack.scanners.pipeline.model import (
    CapabilityKind,
    CloudMethod,
    ConfigFile,
    ConfigKind,
    PlatformFindings,
)
from evidencepack.yamltree import parse_yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "github"
REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "data" / "workflows"


def workflow(text: str, path: str = ".github/workflows/ci.yml") -> ConfigFile:
    data = text.encode()
    return ConfigFile(
        path=path,
        kind=ConfigKind.GITHUB_WORKFLOW,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        tracked=True,
        modified=False,
        text=text,
        document=parse_yaml(text, source=path).root,
    )


def analyze_fixture(name: str) -> PlatformFindings:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return analyze_github([workflow(text, f".github/workflows/{name}")])


def where(name: str, line: int, column: int | None = None) -> Location:
    return Location(f".github/workflows/{name}", line, column)


# AC-1: cloud access -------------------------------------------------------------------


def test_static_aws_keys_in_env_are_found_at_every_level() -> None:
    name = "static-aws-keys-env.yml"
    access = analyze_fixture(name).cloud_access
    assert [(a.provider, a.method, a.location, a.detail) for a in access] == [
        ("aws", CloudMethod.STATIC, where(name, 8, 22),
         "secrets.AWS_ACCESS_KEY_ID in workflow env AWS_ACCESS_KEY_ID"),
        ("aws", CloudMethod.STATIC, where(name, 13, 30),
         "secrets.PROD_KEY in job deploy env AWS_SECRET_ACCESS_KEY"),
        ("gcp", CloudMethod.STATIC, where(name, 23),
         "secrets.GCP_SA_KEY in job deploy step 2 run"),
    ]


def test_literal_aws_key_id_is_static_but_the_documentation_example_is_not() -> None:
    name = "literal-aws-key.yml"
    access = analyze_fixture(name).cloud_access
    assert [(a.provider, a.method, a.location) for a in access] == [
        ("aws", CloudMethod.STATIC, where(name, 10, 30)),
    ]
    assert "AKIAZ7Q3" not in access[0].detail


def test_configure_aws_credentials_with_keys_is_static_even_with_a_role() -> None:
    name = "static-aws-keys-with.yml"
    access = analyze_fixture(name).cloud_access
    assert [(a.method, a.location.line) for a in access] == [
        (CloudMethod.STATIC, 11),
        (CloudMethod.STATIC, 12),
    ]
    assert access[0].detail == (
        "aws-actions/configure-aws-credentials with aws-access-key-id "
        "from secrets.AWS_ACCESS_KEY_ID"
    )


def test_aws_role_with_id_token_write_is_oidc() -> None:
    name = "oidc-aws.yml"
    result = analyze_fixture(name)
    assert [(a.provider, a.method, a.location) for a in result.cloud_access] == [
        ("aws", CloudMethod.OIDC, where(name, 17, 27)),
    ]
    assert result.notes == ()


def test_oidc_without_id_token_write_is_oidc_with_a_note() -> None:
    name = "oidc-aws-without-id-token.yml"
    result = analyze_fixture(name)
    assert [(a.method, a.location.line) for a in result.cloud_access] == [(CloudMethod.OIDC, 11)]
    assert "without id-token: write" in result.cloud_access[0].detail
    assert len(result.notes) == 1
    assert result.notes[0].startswith(f".github/workflows/{name}:11: job `deploy`")


def test_gcp_workload_identity_is_oidc() -> None:
    name = "oidc-gcp.yml"
    access = analyze_fixture(name).cloud_access
    assert [(a.provider, a.method, a.location) for a in access] == [
        ("gcp", CloudMethod.OIDC, where(name, 13, 39)),
    ]


def test_azure_creds_secret_is_static() -> None:
    name = "azure-creds.yml"
    access = analyze_fixture(name).cloud_access
    assert [(a.provider, a.method, a.location, a.detail) for a in access] == [
        ("azure", CloudMethod.STATIC, where(name, 11, 18),
         "azure/login with creds from secrets.AZURE_CREDENTIALS"),
    ]


def test_azure_client_id_without_secret_is_oidc() -> None:
    name = "azure-oidc.yml"
    access = analyze_fixture(name).cloud_access
    assert [(a.provider, a.method, a.location.line) for a in access] == [
        ("azure", CloudMethod.OIDC, 12),
    ]


# AC-2: permissions --------------------------------------------------------------------


def test_write_all_is_reported_at_workflow_and_job_level() -> None:
    name = "write-all.yml"
    result = analyze_fixture(name)
    assert [(f.rule, f.severity, f.location) for f in result.permission_findings] == [
        ("write-all", Severity.HIGH, where(name, 3, 14)),
        ("write-all", Severity.HIGH, where(name, 11, 18)),
    ]
    assert result.permission_findings[0].help_uri == (
        "https://evidencepack.dev/controls/AC-2#write-all"
    )
    (declared,) = result.permissions
    assert declared.top_level == "write-all"
    assert declared.jobs_without_permissions == ("build",)


def test_no_permissions_relies_on_the_repository_default() -> None:
    name = "no-permissions.yml"
    result = analyze_fixture(name)
    (declared,) = result.permissions
    assert declared.top_level is None
    assert declared.jobs_without_permissions == ("test",)
    assert declared.relies_on_repository_default
    assert [(f.rule, f.severity, f.location) for f in result.permission_findings] == [
        ("default-permissions", Severity.MEDIUM, where(name, 4, 1)),
    ]
    assert "`test`" in result.permission_findings[0].message


def test_unneeded_write_scopes_are_found_per_job_and_at_workflow_level() -> None:
    name = "unneeded-contents-write.yml"
    result = analyze_fixture(name)
    assert [(f.rule, f.severity, f.location) for f in result.permission_findings] == [
        # release: the release action needs contents, nothing needs packages.
        ("unneeded-write-scope", Severity.MEDIUM, where(name, 22, 7)),
        # test and stale inherit contents: write; only stale needs issues: write.
        ("unneeded-write-scope", Severity.MEDIUM, where(name, 6, 3)),
        ("unneeded-write-scope", Severity.MEDIUM, where(name, 7, 3)),
    ]
    messages = [f.message for f in result.permission_findings]
    assert "`packages: write`" in messages[0]
    assert "`test`, `stale`" in messages[1]
    assert "`test`" in messages[2] and "`stale`" not in messages[2]
    (declared,) = result.permissions
    assert declared.top_level == "scoped"
    assert declared.jobs_without_permissions == ("test", "stale")


@pytest.mark.parametrize(
    ("scope", "step", "needed"),
    [
        ("contents", "run: git -C repo push origin HEAD", True),
        ("contents", "run: git pull", False),
        ("packages", "uses: docker/login-action@v3\n        with: {registry: ghcr.io}", True),
        ("packages", "uses: docker/login-action@v3\n        with: {registry: docker.io}", False),
        ("id-token", "run: cosign sign --yes \"$IMAGE\"", True),
        ("id-token", "run: cosign verify \"$IMAGE\"", False),
        ("pull-requests", "run: gh pr comment 1 --body ok", True),
        ("issues", "run: gh api repos/o/r/issues", True),
        ("checks", "uses: ./.github/actions/report", True),
        ("security-events", "uses: github/codeql-action/upload-sarif@v3", True),
    ],
)
def test_needs_table_decides_whether_a_write_scope_is_used(
    scope: str, step: str, needed: bool
) -> None:
    text = (
        f"on: push\njobs:\n  a:\n    permissions:\n      {scope}: write\n"
        f"    steps:\n      - {step}\n"
    )
    findings = analyze_github([workflow(text)]).permission_findings
    assert [f.rule for f in findings] == ([] if needed else ["unneeded-write-scope"])


@pytest.mark.parametrize(
    ("permissions", "top_level"),
    [("read-all", "read-all"), ("{}", "{}"), ("\n  contents: read", "scoped")],
)
def test_top_level_permission_shapes(permissions: str, top_level: str) -> None:
    text = f"on: push\npermissions: {permissions}\njobs:\n  a:\n    steps:\n      - run: make\n"
    result = analyze_github([workflow(text)])
    assert result.permissions[0].top_level == top_level
    assert result.permission_findings == ()


# Capabilities, deploy jobs, retention --------------------------------------------------


def test_verification_before_the_deploy_step_guards_the_deploy() -> None:
    name = "verify-before-deploy.yml"
    result = analyze_fixture(name)
    assert [(c.kind, c.location, c.detail) for c in result.capabilities] == [
        (CapabilityKind.VERIFY_SIGNATURE, where(name, 20), "cosign verify"),
        (CapabilityKind.DEPLOY, where(name, 22), "kubectl"),
        (CapabilityKind.DEPLOY, where(name, 15, 18), "environment production"),
    ]
    (deploy,) = result.deploy_jobs
    assert deploy.job == f".github/workflows/{name}#deploy"
    assert deploy.environment == "production"
    assert deploy.location == where(name, 15, 18)
    assert deploy.detail == "environment production; kubectl"
    assert deploy.verification == where(name, 20)
    assert deploy.branches == ("main", "release")


def test_verification_after_the_deploy_step_does_not_count() -> None:
    name = "deploy-without-verify.yml"
    (deploy,) = analyze_fixture(name).deploy_jobs
    assert deploy.environment == "prod"
    assert deploy.location == where(name, 11, 13)
    assert deploy.verification is None
    assert deploy.branches == ("tags",)


def test_verification_in_a_job_needed_transitively_counts() -> None:
    name = "verify-in-needed-job.yml"
    (deploy,) = analyze_fixture(name).deploy_jobs
    assert deploy.job.endswith("#deploy")
    assert deploy.environment is None
    assert deploy.detail == "terraform apply"
    assert deploy.verification == where(name, 9, 15)
    # workflow_dispatch runs on any ref, but the job's `if:` pins main.
    assert deploy.branches == ("main",)


def test_failure_alerts_from_conditions_and_notification_actions() -> None:
    name = "failure-alert.yml"
    result = analyze_fixture(name)
    alerts = result.capabilities
    assert [(c.kind, c.location, c.job.split("#")[1]) for c in alerts] == [
        (CapabilityKind.TESTS, where(name, 9), "test"),
        (CapabilityKind.FAILURE_ALERT, where(name, 11, 13), "test"),
        (CapabilityKind.FAILURE_ALERT, where(name, 18, 15), "notify"),
        (CapabilityKind.FAILURE_ALERT, where(name, 15, 9), "notify"),
    ]


def test_artifact_retention_days_only_when_literal() -> None:
    name = "artifact-retention.yml"
    assert analyze_fixture(name).artifact_retention_days == ((where(name, 13, 27), 90),)


def test_one_line_and_block_run_scripts_report_the_command_line() -> None:
    text = (
        "on: push\n"                     # 1
        "permissions: {}\n"              # 2
        "jobs:\n"                        # 3
        "  a:\n"                         # 4
        "    steps:\n"                   # 5
        "      - run: pytest -q\n"       # 6
        "      - run: |-\n"              # 7
        "          echo start\n"         # 8
        "          go test ./...\n"      # 9
    )
    result = analyze_github([workflow(text)])
    assert [(c.detail, c.location.line) for c in result.capabilities] == [
        ("pytest", 6),
        ("go test", 9),
    ]


@pytest.mark.parametrize(
    ("on", "branches"),
    [
        ("push", ("*",)),
        ("[push, pull_request]", ("*",)),
        ("\n  push:\n    branches: [main]\n  pull_request:", ("main",)),
        ("\n  push:\n    branches: [main]\n  workflow_dispatch:", ("*",)),
        ("\n  push:\n    branches-ignore: [dev]", ("*",)),
        ("\n  push:\n    tags: ['v*']", ("tags",)),
        ("\n  release:\n    types: [published]", ("tags",)),
        ("schedule", ("*",)),
    ],
)
def test_deploy_branches_follow_the_triggers(on: str, branches: tuple[str, ...]) -> None:
    text = f"on: {on}\njobs:\n  d:\n    environment: production\n    steps:\n      - run: x\n"
    (deploy,) = analyze_github([workflow(text)]).deploy_jobs
    assert deploy.branches == branches


# Robustness ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "on: push\njobs:\n",
        "on: push\njobs: []\n",
        "- a list\n- not a workflow\n",
        "just a string\n",
        "on: push\njobs:\n  a: not-a-job\n  7:\n    steps: nope\n",
        "on: push\njobs:\n  a:\n    steps: [null, 1, text, {run: 5}, {uses: 5}, {with: x}]\n",
        "on: push\npermissions: ${{ inputs.permissions }}\njobs:\n  a:\n"
        "    permissions: {contents: '${{ matrix.level }}'}\n    steps: []\n",
        "on: push\njobs:\n  a:\n    environment: ${{ matrix.env }}\n    needs: 5\n"
        "    if: true\n    env: ${{ fromJSON(inputs.env) }}\n    steps:\n"
        "      - uses: actions/upload-artifact@v4\n        with:\n          retention-days: true\n",
        "on: push\njobs:\n  a:\n    environment: [x]\n    steps: [{run: kubectl apply -f x}]\n"
        "  b:\n    environment: {url: 'https://x'}\n    needs: [a, b]\n    steps: []\n",
        "on:\n  push: null\njobs:\n  a:\n    needs: b\n    steps: [{run: helm upgrade x}]\n"
        "  b:\n    needs: a\n    steps: [{uses: ./.github/actions/verify}]\n",
        "on: {push: {branches: main}}\nenv:\n  A: &x {k: v}\njobs:\n  a: {steps: [{with: *x}]}\n",
    ],
)
def test_odd_but_valid_shapes_do_not_crash(text: str) -> None:
    analyze_github([workflow(text)])


def test_expression_permissions_are_kept_and_noted() -> None:
    text = "on: push\npermissions: ${{ inputs.permissions }}\njobs:\n  a:\n    steps: []\n"
    result = analyze_github([workflow(text)])
    assert result.permissions[0].top_level == "${{ inputs.permissions }}"
    assert len(result.notes) == 1
    assert result.notes[0].startswith(".github/workflows/ci.yml:2:")


def test_other_kinds_and_unparsed_files_are_ignored() -> None:
    text = "on: push\npermissions: write-all\njobs: {}\n"
    gitlab = ConfigFile(".gitlab-ci.yml", ConfigKind.GITLAB_CI, 1, "", True, False, text,
                        parse_yaml(text).root)
    unparsed = ConfigFile(".github/workflows/x.yml", ConfigKind.GITHUB_WORKFLOW, 1, "", True,
                          False, "{", None)
    assert analyze_github([gitlab, unparsed]) == PlatformFindings()


def test_real_workflows_never_crash() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"workflow corpus not found at {CORPUS}")
    paths = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yml", ".yaml"))
    assert paths
    files = [workflow(p.read_text(encoding="utf-8"), p.name) for p in paths]
    result = analyze_github(files)
    assert len(result.permissions) == len(files)
    for finding in result.permission_findings:
        assert finding.location is not None and finding.location.line
