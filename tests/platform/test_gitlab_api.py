"""The GitLab collector against a local fake of GitLab's REST API (no network)."""

from __future__ import annotations

import gzip
import io
import json
import sys
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from evidencepack.controls.review_chain import assess
from evidencepack.policy import default_policy
from evidencepack.sources.gitlab_api import API_EVIDENCE, collect_gitlab, gitlab_client
from evidencepack.sources.platform import (
    BranchRules,
    CollectRequest,
    LocalCommit,
    PlatformCollection,
    Review,
)

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the fake lives next to this file (tests are not a package)

import fake_gitlab as gl  # noqa: E402

TOKEN = "glpat-testtoken-for-the-fake-0001"
PATH = "acme/platform/shop"
ENCODED = "acme%2Fplatform%2Fshop"
PLANTED = "pl4nted-Deploy-Key-7c1e9a"
"""A variable value that must never reach the pack."""
C1, C2, C3 = "c1" * 20, "c2" * 20, "c3" * 20
MERGE = "e7" * 20
DIRECT = "d0" * 20
NOW = "2026-11-02T12:00:00Z"

ALICE = gl.user(11, "alice")
BOB = gl.user(12, "bob")
CAROL = gl.user(13, "carol")
RENOVATE = gl.user(14, "renovate-bot")
PROJECT_BOT = gl.user(15, "project_42_bot_5f2a9c")


def shop() -> gl.GitLabProject:
    """A Premium project with main protected, one merge request (!7) of three commits, merged
    by carol after bob approved, and this run's pipeline 900."""
    project = gl.GitLabProject(PATH, project=gl.project_reply(42, PATH))
    project.protected_branches["main"] = gl.protected_branch(
        1, "main", push=[gl.access_level(1, 40, "Maintainers")],
        merge=[gl.access_level(2, 30, "Developers + Maintainers")], code_owner_approval_required=True)
    project.approval_setting = gl.approval_setting()
    project.approval_rules = [
        gl.approval_rule(1, "All Members", 1, rule_type="any_approver"),
        gl.approval_rule(2, "security", 2, protected_branches=[project.protected_branches["main"]]),
        gl.approval_rule(3, "release", 3, protected_branches=[gl.protected_branch(9, "release/*")]),
    ]
    project.merge_requests[7] = gl.merge_request(
        7, author=ALICE, title="SHOP-12 Faster checkout", source_branch="feature/SHOP-12-checkout",
        sha=C3, merge_commit_sha=MERGE, merged_by=CAROL, merged_at="2026-10-31T10:00:00.000Z",
        labels=["backend"], description="Closes SHOP-12")
    project.mr_commits[7] = [  # newest first, as GitLab lists them
        gl.commit(C3, author_email="alice@example.com", parents=[C2]),
        gl.commit(C2, author_email="alice@example.com", parents=[C1],
                  message="Tidy\n\nCo-authored-by: Dave <dave@example.com>"),
        gl.commit(C1, author_email="Alice@Example.com", committer_email="erin@example.com"),
    ]
    project.mr_approvals[7] = gl.mr_approvals(7, [BOB])
    for sha in (C1, C2, C3, MERGE):
        project.commit_merge_requests[sha] = [7]
    project.statuses[MERGE] = [
        gl.commit_status(501, "test", "success", MERGE),
        gl.commit_status(502, "lint", "failed", MERGE, allow_failure=True),
        gl.commit_status(503, "secret_detection", "success", MERGE),
    ]
    project.variables = [
        gl.variable("DEPLOY_KEY", PLANTED, protected=True, masked=True),
        gl.variable("STAGING_URL", "https://staging.example.com", environment_scope="staging"),
    ]
    project.protected_environments = [gl.protected_environment(
        "production", approval_rules=[gl.environment_approval_rule(1, "Maintainers")])]
    project.pipelines = [
        gl.pipeline(880, status="success", created_at="2026-10-20T09:00:00.000Z"),
        gl.pipeline(890, status="failed", created_at="2026-10-31T10:05:00.000Z"),
        gl.pipeline(900, status="running", created_at="2026-11-02T11:50:00.000Z"),
        gl.pipeline(700, status="success", created_at="2026-08-01T09:00:00.000Z"),  # before the window
        gl.pipeline(901, status="success", ref="feature/x", created_at="2026-11-01T09:00:00.000Z"),
    ]
    project.jobs[900] = [
        gl.job(9001, "build", stage="build", status="success", pipeline_id=900),
        gl.job(9002, "unit tests", stage="test", status="success", pipeline_id=900),
        gl.job(9003, "deploy", stage="deploy", status="manual", pipeline_id=900),
    ]
    project.traces = {
        9001: "$ make build\nbuilt shop\n",
        # An unmasked variable echoed by a careless script: the archive must not keep it.
        9002: f"$ pytest\n42 passed\n$ echo $DEPLOY_KEY\n{PLANTED}\n",
    }
    project.security_settings = gl.security_settings(push_protection=True)
    return project


def local(sha: str, author: str = "alice@example.com", committer: str | None = None,
          co_authors: tuple[str, ...] = ()) -> LocalCommit:
    return LocalCommit(sha=sha, author_email=author, committer_email=committer or author,
                       co_authors=co_authors)


def request(*commits: LocalCommit, run_id: str | None = "900",
            branches: tuple[str, ...] = ("main",)) -> CollectRequest:
    return CollectRequest(
        repository=PATH, head=commits[-1].sha if commits else MERGE, base="0" * 40,
        commits=commits or (local(C1), local(C2, co_authors=("frank@example.com",)), local(C3),
                            local(MERGE, author="carol@example.com")),
        production_branches=branches, window_days=30, ticket_pattern=r"SHOP-\d+", run_id=run_id,
        now=NOW)


@dataclass
class Run:
    collection: PlatformCollection
    fake: gl.FakeGitLab


Collect = Callable[..., Run]


@pytest.fixture
def collect() -> Iterator[Collect]:
    """collect(project, request, **fake options) -> Run, with the fake stopped afterwards."""
    fakes: list[gl.FakeGitLab] = []

    def run(project: gl.GitLabProject, req: CollectRequest | None = None, *, max_per_page: int = 100,
            link_header: bool = True) -> Run:
        fake = gl.FakeGitLab(project, token=TOKEN, max_per_page=max_per_page, link_header=link_header)
        fake.__enter__()
        fakes.append(fake)
        client = gitlab_client(fake.base_url, TOKEN, retries=0, budget_seconds=30)
        try:
            return Run(collect_gitlab(client, req or request()), fake)
        finally:
            client.close()

    yield run
    for fake in fakes:
        fake.__exit__(None, None, None)


def areas(run: Run) -> list[str]:
    return [u.area for u in run.collection.evidence.unavailable]


# -- the whole project -----------------------------------------------------------------------------


def test_reads_every_area_of_a_project(collect: Collect) -> None:
    run = collect(shop())
    ev = run.collection.evidence
    assert (ev.platform, ev.repository) == ("gitlab", PATH)
    assert (ev.default_branch, ev.visibility) == ("main", "private")
    assert ev.api_url == run.fake.base_url
    assert ev.change_range == ("0" * 40, MERGE)
    assert ev.self_approval_allowed is False and ev.committers_may_approve is False
    assert ev.branch_rules == (BranchRules(
        branch="main", protected=True, sources=("protected-branch",), required_approvals=2,
        dismiss_stale_reviews=True, require_code_owner_review=True, allow_force_pushes=False,
        push_access=("Maintainers",), evidence=(API_EVIDENCE,)),)

    (change,) = ev.changes or ()
    assert change.request == 7 and change.commit == C1
    assert change.url == "https://gitlab.example.com/acme/platform/shop/-/merge_requests/7"
    assert change.ticket == "SHOP-12" and change.labels == ("backend",)
    assert change.opened_by == "alice" and change.merged_by == "carol"
    # Emails from GitLab's commits, co-authors from their trailers and from the local history.
    assert change.authors == ("alice@example.com", "dave@example.com", "frank@example.com")
    assert change.committers == ("alice@example.com", "erin@example.com")
    assert change.reviews == (Review("bob", "APPROVED", None, None),)
    assert (change.head_commit, change.merge_commit) == (C3, MERGE)
    assert [(c.name, c.status, c.conclusion) for c in change.checks] == [
        ("test", "completed", "success"), ("lint", "completed", "neutral"),
        ("secret_detection", "completed", "success")]

    assert [(s.name, s.scope, s.protected, s.masked, s.created_at) for s in ev.secrets or ()] == [
        ("DEPLOY_KEY", "project", True, True, None),
        ("STAGING_URL", "environment:staging", False, False, None)]
    assert ev.secrets_have_dates is False
    (env,) = ev.environments or ()
    assert (env.name, env.required_reviewers) == ("production", ("Maintainers",))
    assert env.prevent_self_review is True  # allow_pipeline_trigger_approve_deployment is false
    # Production pipelines of the last 30 days only, in GitLab's own order (newest first).
    assert [(r.run_id, r.status, r.conclusion) for r in ev.runs or ()] == [
        ("900", "running", None), ("890", "completed", "failure"), ("880", "completed", "success")]
    assert ev.run_logs == "evidence/platform/gitlab/pipeline-900-logs.tar.gz"
    assert ev.secret_scanning is True and ev.push_protection is True
    assert ev.log_retention_days is None
    assert areas(run) == ["logs retention (instance setting)"]
    assert "administrator" in (ev.unavailable[0].permission or "")

    # The project is addressed by its URL-encoded path, and every reply is kept as evidence.
    assert run.fake.requests[0].raw_path == f"/api/v4/projects/{ENCODED}"
    recorded = json.loads(run.collection.files[API_EVIDENCE])
    assert len(recorded) == len(run.fake.requests)
    assert {"method", "url", "status", "fetched_at", "body"} <= set(recorded[0])
    assert recorded[0]["url"].endswith(f"/projects/{ENCODED}")


# -- the scenarios of the issue ----------------------------------------------------------------------


def test_author_may_approve_their_own_merge_request(collect: Collect) -> None:
    project = shop()
    project.approval_setting = gl.approval_setting(allow_author_approval=True,
                                                   allow_committer_approval=True)
    project.mr_approvals[7] = gl.mr_approvals(7, [ALICE])
    run = collect(project)
    ev = run.collection.evidence
    assert ev.self_approval_allowed is True and ev.committers_may_approve is True
    (change,) = ev.changes or ()
    assert change.opened_by == "alice"
    assert Review("alice", "APPROVED", None, None) in change.reviews
    # And the review chain does not count it: the approver opened the merge request.
    verdict = assess(change, default_policy(), ev)
    assert verdict.approvers == () and not verdict.approved
    assert "alice approved but is an author, committer or the opener" in verdict.problems


def test_unprotected_production_branch_is_an_observation(collect: Collect) -> None:
    project = shop()
    del project.protected_branches["main"]
    run = collect(project)
    ev = run.collection.evidence
    (rules,) = ev.branch_rules or ()
    assert rules.branch == "main" and rules.protected is False and rules.sources == ()
    assert rules.allow_force_pushes is True and rules.allow_deletions is True
    # Only rules scoped to no branch apply to an unprotected one.
    assert rules.required_approvals == 1
    assert not [a for a in areas(run) if a.startswith("branch")]
    # The single-branch 404 is checked against the listing, for wildcard rules.
    assert run.fake.calls(f"/projects/{PATH}/protected_branches")


def test_wildcard_protected_branch_protects(collect: Collect) -> None:
    project = shop()
    project.protected_branches = {"release/*": gl.protected_branch(
        9, "release/*", allow_force_push=True, push=[gl.access_level(4, 0, "No one")])}
    run = collect(project, request(local(DIRECT), run_id=None, branches=("release/2.0",)))
    (rules,) = run.collection.evidence.branch_rules or ()
    assert (rules.branch, rules.protected, rules.push_access) == ("release/2.0", True, ("No one",))
    assert rules.allow_force_pushes is True and rules.required_approvals == 3
    # A branch name is URL-encoded like the project path.
    assert run.fake.calls(rf"/projects/{PATH}/protected_branches/release/2\.0")[0].raw_path.endswith(
        "/protected_branches/release%2F2.0")


def test_exact_and_wildcard_rules_apply_together(collect: Collect) -> None:
    project = shop()
    project.protected_branches["release/*"] = gl.protected_branch(9, "release/*", allow_force_push=True)
    project.protected_branches["main*"] = gl.protected_branch(
        10, "main*", allow_force_push=True, push=[gl.access_level(5, 30, "Developers + Maintainers")])
    (rules,) = collect(project).collection.evidence.branch_rules or ()
    # `main*` matches main and `release/*` does not; the most permissive setting wins.
    assert rules.push_access == ("Maintainers", "Developers + Maintainers")
    assert rules.allow_force_pushes is True and rules.require_code_owner_review is True


def test_token_without_the_role_for_approval_settings(collect: Collect) -> None:
    project = shop()
    project.refuse["/merge_request_approval_setting"] = 403
    run = collect(project)
    ev = run.collection.evidence
    assert ev.self_approval_allowed is None and ev.committers_may_approve is None
    (missing,) = ev.missing("merge request approval settings")
    assert missing.reason == "403 Forbidden"
    assert missing.permission is not None
    assert "read_api" in missing.permission and "Maintainer" in missing.permission
    assert "CI_JOB_TOKEN" in missing.permission
    assert "the token needs read_api scope, Maintainer role" in str(missing)
    # Without the setting, approvals are not known to be reset on push.
    assert all(r.dismiss_stale_reviews is False for r in ev.branch_rules or ())
    # The rest is still collected, and the legacy endpoint is not tried on a refusal.
    assert ev.changes and ev.secrets and not run.fake.calls(f"/projects/{PATH}/approvals")


def test_older_gitlab_approval_configuration(collect: Collect) -> None:
    project = shop()
    project.approval_setting = None  # 404: before the approval settings API
    project.legacy_approvals = gl.legacy_approvals(author_approval=True, disable_committers=True,
                                                   reset_on_push=False)
    ev = collect(project).collection.evidence
    assert ev.self_approval_allowed is True and ev.committers_may_approve is False
    assert [r.dismiss_stale_reviews for r in ev.branch_rules or ()] == [False]
    assert not ev.missing("merge request approval settings")


def test_variable_values_are_never_written(collect: Collect) -> None:
    run = collect(shop())
    # The fake did serve the value: the test would catch a leak.
    assert any(PLANTED.encode() in body for body in run.fake.served)
    outputs = [json.dumps(run.collection.evidence.to_json())]
    for name, data in run.collection.files.items():
        outputs.append(data.decode("utf-8", errors="replace"))
        if name.endswith(".tar.gz"):
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                for member in tar.getmembers():
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    outputs.append(extracted.read().decode())
    assert all(PLANTED not in text for text in outputs)
    recorded = json.loads(run.collection.files[API_EVIDENCE])
    (variables,) = [e["body"] for e in recorded if e["url"].endswith("/variables?per_page=100")]
    assert [(v["key"], v["value"]) for v in variables] == [("DEPLOY_KEY", "[redacted]"),
                                                          ("STAGING_URL", "[redacted]")]


def test_variable_values_are_removed_even_from_a_refused_listing(collect: Collect) -> None:
    project = shop()
    project.refuse["/variables"] = 403
    ev = collect(project).collection.evidence
    assert ev.secrets is None
    (missing,) = ev.missing("CI/CD variables")
    assert "Maintainer" in (missing.permission or "")


def test_commits_of_one_merge_request_cost_one_lookup(collect: Collect) -> None:
    run = collect(shop())
    assert len(run.fake.calls(r"/projects/.+/repository/commits/[0-9a-f]+/merge_requests")) == 1
    assert len(run.fake.calls(rf"/projects/{PATH}/merge_requests/7")) == 1
    assert len(run.fake.calls(rf"/projects/{PATH}/merge_requests/7/approvals")) == 1
    assert len(run.collection.evidence.changes or ()) == 1


def test_direct_push_is_a_change_without_merge_request(collect: Collect) -> None:
    run = collect(shop(), request(local(DIRECT, author="mallory@example.com"), run_id=None))
    (change,) = run.collection.evidence.changes or ()
    assert (change.commit, change.request, change.authors) == (DIRECT, None, ("mallory@example.com",))
    verdict = assess(change, default_policy(), run.collection.evidence)
    assert verdict.problems == ("merged without a pull or merge request",)


@pytest.mark.parametrize("link_header", [False, True], ids=["x-next-page", "link"])
def test_merge_requests_and_pipelines_across_pages(collect: Collect, link_header: bool) -> None:
    project = shop()
    # The commit is also in an open and a closed merge request; the merged one comes last.
    project.merge_requests[5] = gl.merge_request(
        5, author=ALICE, title="Draft", source_branch="draft", sha=C1, merge_commit_sha=None,
        merged_by=None, merged_at=None, state="opened")
    project.merge_requests[6] = gl.merge_request(
        6, author=ALICE, title="Into develop", source_branch="feature", sha=C1,
        merge_commit_sha="f" * 40, merged_by=CAROL, merged_at="2026-10-29T10:00:00.000Z",
        target_branch="develop")
    project.commit_merge_requests[C1] = [5, 6, 7]
    project.pipelines += [gl.pipeline(860 + i, status="success", created_at=f"2026-10-1{i}T09:00:00.000Z")
                          for i in range(4)]
    run = collect(project, max_per_page=2, link_header=link_header)
    ev = run.collection.evidence
    assert [c.request for c in ev.changes or ()] == [7]
    lookups = run.fake.calls(rf"/projects/{PATH}/repository/commits/{C1}/merge_requests")
    assert [r.query.get("page", "1") for r in lookups] == ["1", "2"]
    assert [r.run_id for r in ev.runs or ()] == ["900", "890", "880", "863", "862", "861", "860"]
    assert [r.query.get("page", "1") for r in run.fake.calls(rf"/projects/{PATH}/pipelines")] == [
        "1", "2", "3", "4"]


def test_job_logs_archived_in_one_deterministic_tar_gz(collect: Collect) -> None:
    first = collect(shop()).collection
    second = collect(shop()).collection
    path = "evidence/platform/gitlab/pipeline-900-logs.tar.gz"
    assert first.evidence.run_logs == path
    assert first.files[path] == second.files[path]
    assert gzip.decompress(first.files[path])  # a plain gzip stream
    with tarfile.open(fileobj=io.BytesIO(first.files[path]), mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert list(members) == ["job-9001-build.log", "job-9002-unit_tests.log", "jobs.json"]
        assert {(m.mtime, m.uid, m.gid, m.uname) for m in members.values()} == {(0, 0, 0, "")}
        build = tar.extractfile("job-9001-build.log")
        manifest_file = tar.extractfile("jobs.json")
        assert build is not None and manifest_file is not None
        assert build.read() == b"$ make build\nbuilt shop\n"
        manifest = json.loads(manifest_file.read())
    assert [(j["name"], j["log"]) for j in manifest] == [
        ("build", "job-9001-build.log"), ("unit tests", "job-9002-unit_tests.log"), ("deploy", None)]
    # The manual job never ran: its log is not asked for.
    assert not collect(shop()).fake.calls(rf"/projects/{PATH}/jobs/9003/trace")


def test_bot_approvals_are_marked(collect: Collect) -> None:
    project = shop()
    project.mr_approvals[7] = gl.mr_approvals(7, [RENOVATE, PROJECT_BOT, BOB])
    (change,) = collect(project).collection.evidence.changes or ()
    assert [(r.reviewer, r.is_bot) for r in change.reviews] == [
        ("renovate-bot", True), ("project_42_bot_5f2a9c", True), ("bob", False)]


def test_refused_merge_request_lookup_leaves_changes_unobserved(collect: Collect) -> None:
    project = shop()
    project.refuse[r"/repository/commits/[0-9a-f]+/merge_requests"] = 403
    ev = collect(project).collection.evidence
    assert ev.changes is None
    (missing,) = ev.missing("merge requests of commit")
    assert "Reporter" in (missing.permission or "")


def test_pipeline_cleanup_setting_is_the_log_retention(collect: Collect) -> None:
    project = shop()
    project.project["ci_delete_pipelines_in_seconds"] = 400 * 86400
    ev = collect(project).collection.evidence
    assert ev.log_retention_days == 400
    assert not ev.missing("logs retention")


def test_self_approving_project_fails_cm2_and_gives_ac3_to_a_person(collect: Collect) -> None:
    from datetime import date

    from evidencepack.controls.base import Evidence
    from evidencepack.controls.registry import control, evaluate
    from evidencepack.model import Subject

    project = shop()
    project.approval_setting = gl.approval_setting(allow_author_approval=True)
    project.mr_approvals[7] = gl.mr_approvals(7, [ALICE])
    platform = collect(project).collection.evidence
    evidence = Evidence(subject=Subject(repository=PATH, commit=MERGE, platform="gitlab"),
                        policy=default_policy(), today=date(2026, 11, 26), platform=platform)
    cm2 = evaluate(control("CM-2"), evidence)
    assert cm2.status == "fail"
    assert {f.rule for f in cm2.findings} >= {"author-may-approve", "insufficient-approval"}
    ac3 = evaluate(control("AC-3"), evidence)
    assert ac3.status == "manual"
    assert "gives no creation or update time" in ac3.rationale


@pytest.mark.parametrize(("must_succeed", "status"), [(True, "pass"), (False, "fail")])
def test_pipelines_must_succeed_is_gitlabs_required_check(collect: Collect, must_succeed: bool,
                                                          status: str) -> None:
    from datetime import date

    from evidencepack.controls.base import Evidence
    from evidencepack.controls.registry import control, evaluate
    from evidencepack.model import Location, Subject
    from evidencepack.scanners.pipeline.model import (
        Capability,
        CapabilityKind,
        ConfigFile,
        ConfigKind,
        PipelineAnalysis,
    )
    from evidencepack.yamltree import YMap

    project = shop()
    project.project["only_allow_merge_if_pipeline_succeeds"] = must_succeed
    platform = collect(project).collection.evidence
    assert platform.pipeline_must_succeed is must_succeed
    pipeline = PipelineAnalysis(
        files=(ConfigFile(".gitlab-ci.yml", ConfigKind.GITLAB_CI, 10, "0" * 64, True, False,
                          text="x", document=YMap((1, 1))),),
        capabilities=(Capability(CapabilityKind.TESTS, Location(".gitlab-ci.yml", 3, 5), "pytest",
                                 ".gitlab-ci.yml#test"),),
    )
    evidence = Evidence(subject=Subject(repository=PATH, commit=MERGE, platform="gitlab"),
                        policy=default_policy(), today=date(2026, 11, 26), platform=platform,
                        pipeline=pipeline)
    assert evaluate(control("CM-4"), evidence).status == status
