"""The GitLab CI analyser, on real configuration files named by the case they cover."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from evidencepack.model import Location, Severity
from evidencepack.scanners.pipeline.gitlab import (
    NEVER_EXPIRES_DAYS,
    analyze_gitlab,
    local_includes,
    parse_expire_in,
)
from evidencepack.scanners.pipeline.model import (
    CapabilityKind,
    CloudMethod,
    ConfigFile,
    ConfigKind,
    PlatformFindings,
)
from evidencepack.yamltree import parse_yaml

K = CapabilityKind
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gitlab"
REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "data" / "gitlab-ci"
MAIN = ".gitlab-ci.yml"


def config_file(text: str, path: str = MAIN) -> ConfigFile:
    data = text.encode()
    return ConfigFile(
        path=path,
        kind=ConfigKind.GITLAB_CI,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        tracked=True,
        modified=False,
        text=text,
        document=parse_yaml(text, source=path).root,
    )


def fixture(case: str, path: str = MAIN) -> ConfigFile:
    return config_file((FIXTURES / f"{case}.gitlab-ci.yml").read_text(encoding="utf-8"), path)


def analyze_fixture(case: str) -> PlatformFindings:
    return analyze_gitlab([fixture(case)])


def at(line: int, column: int | None = None, path: str = MAIN) -> Location:
    return Location(path, line, column)


def rules(result: PlatformFindings) -> list[tuple[str, Severity, int | None]]:
    return [
        (f.rule, f.severity, f.location.line if f.location else None) for f in result.hardening
    ]


def capabilities(result: PlatformFindings) -> list[tuple[CapabilityKind, str, Location, str]]:
    return [(c.kind, c.job.split("#", 1)[1], c.location, c.detail) for c in result.capabilities]


# local_includes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml", "expected"),
    [
        ("include: ci/build.yml", ["ci/build.yml"]),
        ("include: /ci/build.yml", ["ci/build.yml"]),
        ("include: https://example.com/ci.yml", []),
        ("include: {local: /.gitlab/ci/*.yml}", [".gitlab/ci/*.yml"]),
        (
            "include:\n"
            "  - /ci/a.yml\n"
            "  - HTTP://example.com/b.yml\n"
            "  - local: ci/c.yml\n"
            "    rules: [{if: $CI_COMMIT_TAG}]\n"
            "  - remote: https://example.com/d.yml\n"
            "  - project: group/ci\n"
            "    file: /e.yml\n"
            "  - template: Jobs/SAST.gitlab-ci.yml\n"
            "  - component: gitlab.com/g/c/lint@1.0.0\n"
            "  - local: '**/*.gitlab-ci.yml'\n"
            "  - local: ci/c.yml\n",
            ["ci/a.yml", "ci/c.yml", "**/*.gitlab-ci.yml"],
        ),
        ("include: [null, 5, {local: 7}, {local: '/'}, [ci/x.yml], '']", []),
        ("include: 42", []),
        ("stages: [build]", []),
        ("- just a list", []),
        ("", []),
    ],
)
def test_local_includes_shapes(yaml: str, expected: list[str]) -> None:
    assert local_includes(parse_yaml(yaml).root) == expected


def test_local_includes_accepts_a_plain_mapping() -> None:
    assert local_includes({"include": [{"local": "/a.yml"}, "b.yml"]}) == ["a.yml", "b.yml"]
    assert local_includes(None) == []


# The insecure and hardened pipelines ------------------------------------------------


def test_insecure_pipeline_hardening_findings() -> None:
    result = analyze_fixture("insecure")
    assert rules(result) == [
        ("gitlab-remote-include-unpinned", Severity.HIGH, 4),
        ("gitlab-remote-include-unpinned", Severity.HIGH, 5),
        ("gitlab-remote-include-unpinned", Severity.HIGH, 6),
        ("gitlab-remote-include-unpinned", Severity.MEDIUM, 9),
        ("gitlab-remote-include-unpinned", Severity.HIGH, 12),
        ("gitlab-remote-include-unpinned", Severity.MEDIUM, 14),
        ("gitlab-image-not-pinned", Severity.MEDIUM, 25),
        ("gitlab-image-not-pinned", Severity.MEDIUM, 29),
        ("gitlab-image-not-pinned", Severity.MEDIUM, 31),
        ("gitlab-deploy-without-environment", Severity.MEDIUM, 46),
    ]
    for finding in result.hardening:
        assert finding.source == "evidencepack"
        assert finding.help_uri == f"https://evidencepack.dev/controls/HD-1#{finding.rule}"
        assert finding.location is not None and finding.location.path == MAIN


def test_image_location_is_the_image_value() -> None:
    images = [
        (f.location, f.message)
        for f in analyze_fixture("insecure").hardening
        if f.rule == "gitlab-image-not-pinned"
    ]
    assert [loc for loc, _ in images] == [at(25, 8), at(29, 10), at(31, 7)]
    assert "'$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA'" in images[1][1]
    assert images[2][1].startswith("Service image 'docker:24-dind'")


def test_remote_include_messages_never_show_credentials_or_tokens() -> None:
    result = analyze_fixture("insecure")
    text = " ".join([f.message for f in result.hardening] + list(result.notes))
    assert "hunter2" not in text
    assert "private_token" not in text
    assert "https://ci.example.com/shared/lint.yml" in text


def test_insecure_pipeline_static_cloud_keys() -> None:
    access = analyze_fixture("insecure").cloud_access
    assert [(a.provider, a.method, a.location, a.detail) for a in access] == [
        ("aws", CloudMethod.STATIC, at(17, 3), "AWS_ACCESS_KEY_ID set in the global variables"),
        ("aws", CloudMethod.STATIC, at(51, 7),
         "$AWS_SECRET_ACCESS_KEY used in script (a CI/CD variable holding a static key)"),
    ]
    assert all("$PROD_AWS_KEY_ID" not in a.detail for a in access)


def test_insecure_pipeline_capabilities_deploys_and_retention() -> None:
    result = analyze_fixture("insecure")
    assert capabilities(result) == [
        (K.DEPLOY, "deploy", at(52, 7), "aws deploy"),
        (K.TESTS, "test", at(42, 7), "pytest"),
    ]
    [deploy] = result.deploy_jobs
    assert (deploy.job, deploy.location, deploy.environment, deploy.verification) == (
        ".gitlab-ci.yml#deploy", at(46, 1), None, None,
    )
    assert deploy.detail == "aws deploy; stage deploy"
    assert deploy.branches == ("main",)
    assert result.artifact_retention_days == ((at(36, 16), 7), (at(44, 16), 0))


def test_hardened_pipeline_has_no_hardening_finding_and_only_oidc() -> None:
    result = analyze_fixture("hardened")
    assert result.hardening == ()
    assert [(a.provider, a.method, a.location, a.detail) for a in result.cloud_access] == [
        ("aws", CloudMethod.OIDC, at(66, 7),
         "id_tokens AWS_OIDC_TOKEN with aws sts assume-role-with-web-identity"),
    ]


def test_hardened_pipeline_capabilities() -> None:
    assert capabilities(analyze_fixture("hardened")) == [
        (K.DEPENDENCY_SCAN, "include", at(4, 15), "GitLab Dependency-Scanning template"),
        (K.DEPLOY, "deploy-production", at(71, 7), "aws deploy"),
        (K.FAILURE_ALERT, "notify-failure", at(75, 9), "job runs when: on_failure"),
        (K.SBOM, "include", at(4, 15), "GitLab Dependency-Scanning template (CycloneDX reports)"),
        (K.SECRET_SCAN, "include", at(3, 15), "GitLab Secret-Detection template"),
        (K.SECRET_SCAN, "secret_detection", at(37, 1),
         "GitLab Secret-Detection job (secret_detection)"),
        (K.SIGNING, "sign", at(50, 7), "cosign"),
        (K.TESTS, "test", at(35, 7), "pytest"),
        (K.VERIFY_SIGNATURE, "deploy-production", at(63, 7), "cosign verify"),
    ]


def test_hardened_deploy_is_verified_first_and_limited_to_the_default_branch() -> None:
    result = analyze_fixture("hardened")
    [deploy] = result.deploy_jobs
    assert deploy.job == ".gitlab-ci.yml#deploy-production"
    assert deploy.environment == "production"
    assert deploy.verification == at(63, 7)
    assert deploy.branches == ("$CI_DEFAULT_BRANCH",)
    assert result.artifact_retention_days == ((at(26, 16), 400),)


def test_includes_that_are_not_fetched_are_noted() -> None:
    notes = analyze_fixture("hardened").notes
    assert ".gitlab-ci.yml: GitLab template 'Jobs/Secret-Detection.gitlab-ci.yml' is not analysed" in notes
    assert ".gitlab-ci.yml: include of project 'platform/ci-templates' is not fetched or analysed" in notes
    assert len(notes) == 5


# Includes: pinning -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("- remote: https://example.com/ci.yml", [Severity.HIGH]),
        ("- remote: https://example.com/ci.yml\n  integrity: sha256-L3/GAoKaw0Arw6hDCKeKQlV1QPEg=",
         []),
        ("- https://gitlab.com/g/p/-/raw/11f6ad8ec52a2984abaafd7c3b516503785c2072/ci.yml", []),
        ("- https://gitlab.com/g/p/-/raw/main/ci.yml", [Severity.HIGH]),
        ("- project: g/p\n  file: ci.yml", [Severity.HIGH]),
        ("- project: g/p\n  ref: 11f6ad8ec52a2984abaafd7c3b516503785c2072\n  file: ci.yml", []),
        ("- project: g/p\n  ref: v2.0.1\n  file: ci.yml", [Severity.MEDIUM]),
        ("- project: g/p\n  ref: 2.0\n  file: ci.yml", [Severity.MEDIUM]),
        ("- project: g/p\n  ref: develop\n  file: ci.yml", [Severity.HIGH]),
        ("- project: g/p\n  ref: $CI_COMMIT_REF_NAME\n  file: ci.yml", [Severity.HIGH]),
        ("- component: gitlab.com/g/c/lint@~latest", [Severity.MEDIUM]),
        ("- component: gitlab.com/g/c/lint@main", [Severity.MEDIUM]),
        ("- component: gitlab.com/g/c/lint@1", [Severity.MEDIUM]),
        ("- component: gitlab.com/g/c/lint", [Severity.MEDIUM]),
        ("- component: gitlab.com/g/c/lint@1.2.3", []),
        ("- component: gitlab.com/g/c/lint@11f6ad8ec52a2984abaafd7c3b516503785c2072", []),
        ("- template: Jobs/SAST.gitlab-ci.yml", []),
        ("- local: ci/build.yml", []),
    ],
)
def test_include_pinning(entry: str, expected: list[Severity]) -> None:
    text = "include:\n" + "\n".join("  " + line for line in entry.splitlines()) + "\n"
    findings = analyze_gitlab([config_file(text)]).hardening
    assert [f.severity for f in findings] == expected
    assert all(f.rule == "gitlab-remote-include-unpinned" for f in findings)


def test_child_pipeline_includes_are_checked_too() -> None:
    text = (
        "child:\n"
        "  trigger:\n"
        "    include:\n"
        "      - project: g/p\n"
        "        file: child.yml\n"
    )
    assert rules(analyze_gitlab([config_file(text)])) == [
        ("gitlab-remote-include-unpinned", Severity.HIGH, 4),
    ]


def test_image_pinned_through_a_variable_is_pinned() -> None:
    text = (
        "variables:\n"
        "  PY: python:3.12@sha256:11a4a60b518bf24989d481468076e5d5982884626aed9faeb35b8576fcd223e1\n"
        "test:\n"
        "  image: $PY\n"
        "  script: [pytest]\n"
        "lint:\n"
        "  image: ${PY_LINT}\n"
        "  script: [ruff check]\n"
    )
    assert rules(analyze_gitlab([config_file(text)])) == [
        ("gitlab-image-not-pinned", Severity.MEDIUM, 7),
    ]


# extends, anchors, merge keys, !reference, default --------------------------------


def extends_result() -> PlatformFindings:
    return analyze_gitlab(
        [fixture("extends"), fixture("extends-templates", "ci/templates.yml")]
    )


def test_extends_chains_across_files() -> None:
    caps = capabilities(extends_result())
    assert (K.TESTS, "unit", at(9, 7, "ci/templates.yml"), "npm test") in caps


def test_extends_list_later_template_wins() -> None:
    caps = capabilities(extends_result())
    scans = [(job, loc, detail) for kind, job, loc, detail in caps if kind is K.DEPENDENCY_SCAN]
    assert scans == [
        ("scan-last-wins", at(12, 10, "ci/templates.yml"), "image aquasec/trivy:0.56.2"),
        ("shared-steps", at(24, 7, "ci/templates.yml"), "pip-audit"),
    ]


def test_default_before_script_applies_unless_overridden_or_not_inherited() -> None:
    caps = capabilities(extends_result())
    secret_scan_jobs = {job for kind, job, _, _ in caps if kind is K.SECRET_SCAN}
    assert secret_scan_jobs == {
        "build-image", "unit", "scan-last-wins", "plain-last-wins", "promote", "loop-a",
        "uses-missing", "shared-steps",
    }
    assert {loc for kind, _, loc, _ in caps if kind is K.SECRET_SCAN} == {at(10, 7)}


def test_extends_cycles_and_missing_templates_are_noted_not_fatal() -> None:
    result = extends_result()
    assert "GitLab job 'loop-a': extends cycle through 'loop-a'" in result.notes
    assert "GitLab job 'uses-missing' extends '.not-defined', which is not defined" in result.notes
    assert (K.TESTS, "loop-a", at(58, 7), "make test") in capabilities(result)


def test_merge_keys_are_placed_where_they_were_written() -> None:
    result = extends_result()
    images = [(f.location, f.rule) for f in result.hardening]
    # `docker:27` is written once, in the `.docker` anchor, and merged into build-image.
    assert images == [
        (at(16, 10), "gitlab-image-not-pinned"),
        (at(3, 10, "ci/templates.yml"), "gitlab-image-not-pinned"),
        (at(12, 10, "ci/templates.yml"), "gitlab-image-not-pinned"),
        (at(15, 10, "ci/templates.yml"), "gitlab-image-not-pinned"),
        (at(18, 10, "ci/templates.yml"), "gitlab-image-not-pinned"),
    ]
    caps = capabilities(result)
    assert (K.DEPLOY, "promote", at(21, 3), "environment production") in caps


def test_variables_expand_in_scripts_and_deploys_come_through_anchors() -> None:
    result = extends_result()
    assert (K.DEPLOY, "release", at(48, 7), "helm") in capabilities(result)
    deploys = {d.job: d for d in result.deploy_jobs}
    assert set(deploys) == {".gitlab-ci.yml#promote", ".gitlab-ci.yml#release"}
    assert deploys[".gitlab-ci.yml#release"].detail == "environment production; helm; stage deploy"
    assert deploys[".gitlab-ci.yml#promote"].environment == "production"
    assert deploys[".gitlab-ci.yml#promote"].location == at(50, 1)


def test_main_file_definition_wins_over_an_included_one() -> None:
    main = config_file("include: [ci/base.yml]\ntest:\n  script: [pytest]\n")
    included = config_file("test:\n  image: alpine:3\n  script: [go test ./...]\n", "ci/base.yml")
    result = analyze_gitlab([main, included])
    assert [(c.kind, c.job, c.detail) for c in result.capabilities] == [
        (K.TESTS, ".gitlab-ci.yml#test", "pytest"),
    ]


# Cloud access ------------------------------------------------------------------------


def test_cloud_access_methods_and_providers() -> None:
    access = analyze_fixture("cloud-access").cloud_access
    assert [(a.provider, a.method, a.location, a.detail) for a in access] == [
        ("aws", CloudMethod.OIDC, at(41, 5),
         "id_tokens AWS_ID_TOKEN with AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE"),
        ("aws", CloudMethod.OIDC, at(50, 12), "id_tokens AWS_TOKEN with aud sts.amazonaws.com"),
        ("azure", CloudMethod.OIDC, at(34, 7), "id_tokens AZURE_ID_TOKEN with az login --federated-token"),
        ("azure", CloudMethod.STATIC, at(9, 7), "az login --service-principal with a password"),
        ("gcp", CloudMethod.OIDC, at(25, 7),
         "id_tokens GCP_ID_TOKEN with gcloud iam workload-identity-pools"),
        ("gcp", CloudMethod.STATIC, at(4, 7),
         "$GCLOUD_SERVICE_KEY used in script (a CI/CD variable holding a static key)"),
        ("gcp", CloudMethod.STATIC, at(5, 7), "gcloud auth activate-service-account --key-file"),
        ("gcp", CloudMethod.STATIC, at(13, 5),
         "FIREBASE_SERVICE_ACCOUNT_KEY set in the variables of job 'job-variables'"),
    ]


def test_keys_a_job_computes_from_an_assumed_role_are_not_static() -> None:
    text = (
        "deploy:\n"
        "  id_tokens:\n"
        "    TOKEN: {aud: 'https://gitlab.example.com'}\n"
        "  script:\n"
        "    - export AWS_ACCESS_KEY_ID=$(jq -r .AccessKeyId creds.json)\n"
        "    - aws s3 cp out s3://bucket/ --region \"$AWS_REGION\" && echo $AWS_ACCESS_KEY_ID\n"
    )
    assert analyze_gitlab([config_file(text)]).cloud_access == ()


def test_default_id_tokens_count_for_every_job() -> None:
    text = (
        "default:\n"
        "  id_tokens:\n"
        "    GCP_TOKEN:\n"
        "      aud: //iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p\n"
        "publish:\n"
        "  script: [./publish.sh]\n"
    )
    [access] = analyze_gitlab([config_file(text)]).cloud_access
    assert (access.provider, access.method, access.location) == ("gcp", CloudMethod.OIDC, at(4, 12))


# Deploys -----------------------------------------------------------------------------


def test_deploy_jobs_verification_and_branches() -> None:
    result = analyze_fixture("deploys")
    deploys = {d.job.split("#", 1)[1]: d for d in result.deploy_jobs}
    assert set(deploys) == {
        "deploy-staging", "deploy-review", "deploy-production", "verify-too-late",
        "publish-package",
    }
    summary = {
        name: (d.environment, d.verification, d.branches) for name, d in deploys.items()
    }
    assert summary == {
        # An earlier stage verified the signature.
        "deploy-staging": ("staging", at(12, 7), ("/^release\\//",)),
        # `needs:` starts the job early: only the needed job can have verified.
        "deploy-review": ("review/$CI_COMMIT_REF_SLUG", None, ("*",)),
        "deploy-production": ("production", at(12, 7), ("main", "hotfix")),
        # Verifying after the deploy, or in after_script, is too late.
        "verify-too-late": ("production", None, ("main", "/^release-.*$/")),
        "publish-package": (None, None, ("*",)),
    }


def test_deploy_without_environment_and_stop_jobs() -> None:
    result = analyze_fixture("deploys")
    assert rules(result) == [("gitlab-deploy-without-environment", Severity.MEDIUM, 66)]
    assert "stop-review" not in {d.job.split("#", 1)[1] for d in result.deploy_jobs}
    assert (K.FAILURE_ALERT, "alert", at(75, 13), "job runs when: on_failure") in capabilities(
        result
    )


def test_jobs_that_never_run_give_no_evidence() -> None:
    text = (
        "scan:\n"
        "  rules: [{when: never}]\n"
        "  script: [trivy fs .]\n"
        "  environment: production\n"
    )
    result = analyze_gitlab([config_file(text)])
    assert (result.capabilities, result.deploy_jobs) == ((), ())


# GitLab's own templates and the real-world corpus -------------------------------------


def corpus_file(name: str) -> ConfigFile:
    return config_file((CORPUS / name).read_text(encoding="utf-8"))


def test_secret_detection_template_is_a_secret_scanner_not_a_dependency_scanner() -> None:
    result = analyze_gitlab(
        [corpus_file("gitlabhq__gitlabhq__lib_gitlab_ci_templates_Jobs_Secret-Detection.gitlab-ci.yml")]
    )
    assert {(c.kind, c.job) for c in result.capabilities} == {
        (K.SECRET_SCAN, ".gitlab-ci.yml#secret_detection"),
        (K.SECRET_SCAN, ".gitlab-ci.yml#secret_detection_default_branch"),
    }


def test_dependency_scanning_template_jobs_are_dependency_scanners() -> None:
    result = analyze_gitlab(
        [corpus_file("gitlabhq__gitlabhq__lib_gitlab_ci_templates_Jobs_Dependency-Scanning.gitlab-ci.yml")]
    )
    # `dependency_scanning` itself is configuration only (`rules: [{when: never}]`).
    assert {(c.kind, c.job.split("#")[1]) for c in result.capabilities} == {
        (K.DEPENDENCY_SCAN, "gemnasium-dependency_scanning"),
        (K.DEPENDENCY_SCAN, "gemnasium-maven-dependency_scanning"),
        (K.DEPENDENCY_SCAN, "gemnasium-python-dependency_scanning"),
    }


def test_sast_template_is_not_dependency_scanning() -> None:
    result = analyze_gitlab(
        [corpus_file("gitlabhq__gitlabhq__lib_gitlab_ci_templates_Jobs_SAST.gitlab-ci.yml")]
    )
    assert result.capabilities == ()


def test_every_corpus_file_is_analysed_without_error() -> None:
    paths = sorted(CORPUS.glob("*.yml"))
    assert len(paths) >= 9
    for path in paths:
        result = analyze_gitlab([config_file(path.read_text(encoding="utf-8"))])
        for finding in result.hardening:
            assert finding.location is not None and finding.location.line is not None


def test_real_projects_deploy_jobs() -> None:
    result = analyze_gitlab([corpus_file("tezos__tezos__.gitlab-ci.yml")])
    bootstraps = [d for d in result.deploy_jobs if "#deploy:bootstrap" in d.job]
    assert len(bootstraps) == 6
    assert {d.branches for d in bootstraps} == {("alphanet", "zeronet")}
    runner = analyze_gitlab([corpus_file("gitlabhq__gitlab-runner__.gitlab-ci.yml")])
    stable = next(d for d in runner.deploy_jobs if d.job.endswith("#stable S3"))
    assert stable.environment == "stable/s3"
    assert stable.branches == ("/\\Av[0-9]+\\.[0-9]+\\.[0-9]+\\Z/",)


# Odd shapes and durations ----------------------------------------------------------------


def test_odd_shapes_do_not_raise() -> None:
    result = analyze_fixture("odd-shapes")
    assert "GitLab job 'self-extends': extends cycle through 'self-extends'" in result.notes
    assert ".gitlab-ci.yml:42:26: expire_in 'fortnight' is not a GitLab duration" in result.notes


@pytest.mark.parametrize("document", [None, [], "text", 5])
def test_non_mapping_documents_are_skipped(document: Any) -> None:
    file = ConfigFile(MAIN, ConfigKind.GITLAB_CI, 0, "", True, False, document=document)
    assert analyze_gitlab([file]) == PlatformFindings()


def test_other_kinds_and_unparsed_files_are_ignored() -> None:
    text = "deploy:\n  stage: deploy\n  script: [kubectl apply -f k8s]\n"
    github = ConfigFile(
        ".github/workflows/ci.yml", ConfigKind.GITHUB_WORKFLOW, 0, "", True, False,
        document=parse_yaml(text).root,
    )
    assert analyze_gitlab([github]) == PlatformFindings()


@pytest.mark.parametrize(
    ("value", "days"),
    [
        ("30 days", 30),
        ("1 week", 7),
        ("2 hrs", 0),
        ("never", NEVER_EXPIRES_DAYS),
        ("Never", NEVER_EXPIRES_DAYS),
        ("1 day 2 hrs", 1),
        ("7d", 7),
        ("2h20min", 0),
        ("3 weeks and 2 days", 23),
        ("6 mos 1 day", 181),
        ("1 month", 30),
        ("1 year", 365),
        ("2 yrs", 730),
        ("1.5 days", 1),
        ("1 day, 12 hrs", 1),
        ("day", 1),
        ("172800", 2),
        (172800, 2),
        ("48:00:00", 2),
        ("2 fortnights", None),
        ("soon", None),
        ("", None),
        ("-1 day", None),
        (None, None),
        (True, None),
        ([1, "day"], None),
    ],
)
def test_parse_expire_in(value: Any, days: int | None) -> None:
    assert parse_expire_in(value) == days


def test_jobs_extending_gitlab_template_jobs_count_without_the_template() -> None:
    text = (
        "include:\n"
        "  - template: Jobs/Dependency-Scanning.gitlab-ci.yml\n"
        "gemnasium-dependency_scanning:\n"
        "  variables:\n"
        "    DS_MAX_DEPTH: 3\n"
        "history-secrets:\n"
        "  extends: .secret-analyzer\n"
        "  script: [/analyzer run]\n"
    )
    result = analyze_gitlab([config_file(text)])
    jobs = [(c.kind, c.job, c.location, c.detail) for c in result.capabilities if "#include" not in c.job]
    assert jobs == [
        (K.DEPENDENCY_SCAN, ".gitlab-ci.yml#gemnasium-dependency_scanning", at(3, 1),
         "GitLab Dependency-Scanning job (gemnasium-dependency_scanning)"),
        (K.SECRET_SCAN, ".gitlab-ci.yml#history-secrets", at(6, 1),
         "GitLab Secret-Detection job (.secret-analyzer)"),
    ]
    assert not any("secret-analyzer" in note for note in result.notes)


def test_hostile_references_and_variables_stay_bounded() -> None:
    fan_out = "[" + ", ".join(["[.a, script]"] * 50) + "]"
    text = (
        f".a:\n  script: {fan_out}\n"
        "variables:\n"
        "  A: " + "$A" * 50 + "\n"
        "job:\n"
        "  image: $A\n"
        f"  script: {fan_out}\n"
    )
    result = analyze_gitlab([config_file(text)])
    assert rules(result) == [("gitlab-image-not-pinned", Severity.MEDIUM, 6)]
