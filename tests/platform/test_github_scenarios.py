"""The review chain and settings read from a GitHub-shaped API, scenario by scenario.

Each test builds a real Git repository (a pull request of two commits on top of `main`),
serves a well-behaved GitHub from the fake (every reply checked against GitHub's published
shapes), changes one thing, runs evidencepack and asserts the statuses auditors care about.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import github_objects as gh
import pytest
from fake_github import FakeGitHub

from evidencepack.run import RunOptions, RunOutcome, run

REPOS = Path(__file__).resolve().parents[1] / "fixtures" / "repos"
TOKEN = "ghp_fakeTokenForTests0000000000000000000000"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
MERGED_AT = "2026-11-20T12:00:00Z"
REVIEWED_AT = "2026-11-20T11:00:00Z"
POLICY = """\
version: 1
production_branches: [main]
approvals:
  required: 1
monitoring:
  alert_channel: "#ops-alerts"
ticket_pattern: 'PLAT-[0-9]+'
"""


def _git(repo: Path, *args: str, author: str = "Alice Author <alice@example.com>") -> str:
    name, email = author[:-1].split(" <")
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
           "GIT_COMMITTER_EMAIL": email, "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent",
           "PATH": "/usr/bin:/bin", "GIT_AUTHOR_DATE": "2026-11-20T10:00:00Z",
           "GIT_COMMITTER_DATE": "2026-11-20T10:00:00Z"}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


@dataclass
class Scenario:
    """A repository, its pull request, and the fake GitHub that serves it."""

    repo: Path
    base: str
    c1: str
    c2: str
    fake: FakeGitHub
    sleeps: list[float] = field(default_factory=list)

    def serve_defaults(self, *, reviews: list[dict[str, Any]] | None = None,
                       co_author: str | None = None) -> None:
        """A repository that does everything right; tests then override one reply."""
        f, r = self.fake, "/repos/acme/shop"
        f.add("GET", r, gh.repository(security_and_analysis={
            "secret_scanning": "enabled", "secret_scanning_push_protection": "enabled"}))
        f.add("GET", f"{r}/branches/main", gh.branch("main"))
        f.add("GET", f"{r}/branches/main/protection", gh.branch_protection(
            required_approving_review_count=1, enforce_admins=True, dismiss_stale_reviews=True,
            require_code_owner_reviews=True, required_status_checks_contexts=("test",)))
        f.add_list(f"{r}/rules/branches/main", gh.branch_rules(
            gh.pull_request_rule(1, dismiss_stale_reviews_on_push=True,
                                 require_code_owner_review=True),
            gh.required_status_checks_rule(("test",)), gh.rule("non_fast_forward"),
            gh.rule("deletion")))
        f.add("GET", f"{r}/rulesets/42", gh.ruleset(id=42))
        pull = dict(number=7, user="alice", head_sha=self.c2, merged_by="carol",
                    merged_at=MERGED_AT, merge_commit_sha=self.c2, title="PLAT-9 faster checkout")
        for sha in (self.c1, self.c2):
            f.add_list(f"{r}/commits/{sha}/pulls", [gh.pull_request(**pull)])  # type: ignore[arg-type]
        f.add("GET", f"{r}/pulls/7", gh.pull_request(**pull, full=True))  # type: ignore[arg-type]
        message = "Second part" + (f"\n\nCo-authored-by: Bob <{co_author}>" if co_author else "")
        f.add_list(f"{r}/pulls/7/commits", [
            gh.commit(self.c1, author_login="alice", committer_login="alice", message="First part"),
            gh.commit(self.c2, author_login="alice", committer_login="alice", message=message),
        ])
        f.add_list(f"{r}/pulls/7/reviews", reviews if reviews is not None else [
            gh.review(1, user="bob", state="APPROVED", commit_id=self.c2, submitted_at=REVIEWED_AT,
                      pull_number=7)])
        f.add("GET", f"{r}/commits/{self.c2}/check-runs",
              gh.check_runs(gh.check_run("test", "completed", "success")))
        f.add("GET", f"{r}/actions/permissions/workflow", gh.workflow_permissions("read", False))
        f.add("GET", f"{r}/actions/permissions/artifact-and-log-retention",
              gh.artifact_log_retention(400, 400))
        f.add("GET", f"{r}/actions/oidc/customization/sub", gh.oidc_sub())
        f.add("GET", f"{r}/actions/secrets", gh.actions_secrets(
            gh.actions_secret("DEPLOY_WEBHOOK", created_at="2026-10-01T00:00:00Z")))
        f.add("GET", f"{r}/environments", gh.environments(
            gh.environment("production", reviewers=("carol",), prevent_self_review=True)))
        f.add("GET", f"{r}/environments/production/secrets", gh.actions_secrets(
            gh.actions_secret("PROD_WEBHOOK", created_at="2026-11-01T00:00:00Z")))
        f.add("GET", f"{r}/actions/runs", gh.workflow_runs(
            gh.workflow_run(1001, head_sha=self.c2, conclusion="success"),
            gh.workflow_run(1000, head_sha=self.c1, conclusion="failure")))

    def replace(self, path: str, body: Any = None, **options: Any) -> None:
        """Serve `body` for GET `path` instead of the default reply."""
        self.fake.reset("GET", path)
        self.fake.add("GET", path, body, **options)

    def replace_list(self, path: str, items: list[Any]) -> None:
        self.fake.reset("GET", path)
        self.fake.add_list(path, items)

    def run(self, tmp_path: Path) -> dict[str, dict[str, Any]]:
        """Run evidencepack against the fake and return the control results by id."""
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": self.fake.base_url}
        outcome: RunOutcome = run(
            RunOptions(path=self.repo, store=tmp_path / "store", since=self.base),
            env=env, clock=lambda: NOW, random=lambda n: b"\x02" * n,
            api_options={"sleep": self.sleeps.append, "retries": 3},
        )
        self.outcome = outcome
        results = json.loads((outcome.pack.directory / "controls" / "results.json").read_text())
        return {c["id"]: c for c in results["controls"]}


@pytest.fixture
def scenario(tmp_path: Path, ci_free_env: None) -> Iterator[Scenario]:
    repo = tmp_path / "shop"
    shutil.copytree(REPOS / "github-hardened", repo)
    (repo / "evidencepack.yml").write_text(POLICY)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "initial")
    base = _git(repo, "rev-parse", "HEAD")
    _git(repo, "remote", "add", "origin", "https://github.com/acme/shop.git")
    (repo / "app.py").write_text("print('one')\n")
    _git(repo, "add", "app.py")
    _git(repo, "commit", "-q", "-m", "First part")
    c1 = _git(repo, "rev-parse", "HEAD")
    (repo / "app.py").write_text("print('two')\n")
    _git(repo, "commit", "-q", "-am", "Second part")
    c2 = _git(repo, "rev-parse", "HEAD")
    with FakeGitHub() as fake:
        fake.require_token(TOKEN)
        yield Scenario(repo, base, c1, c2, fake)


def statuses(results: dict[str, dict[str, Any]], *ids: str) -> dict[str, str]:
    return {i: results[i]["status"] for i in ids}


def rules_of(result: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in result["findings"]}


def test_a_well_run_repository_passes_the_platform_controls(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults()
    results = scenario.run(tmp_path)
    assert statuses(results, "CM-1", "CM-2", "CM-3", "CM-4", "AC-2", "AC-3", "LG-1", "MO-1",
                    "DOC-1") == dict.fromkeys(
        ("CM-1", "CM-2", "CM-3", "CM-4", "AC-2", "AC-3", "LG-1", "MO-1", "DOC-1"), "pass")
    # AC-4: the commits since the base were scanned clean, and push protection is on.
    assert results["AC-4"]["status"] == "pass"
    assert "the lines added by 2 commits" in results["AC-4"]["rationale"]
    assert "push protection are on" in results["AC-4"]["rationale"]
    pack = scenario.outcome.pack.directory
    api = json.loads((pack / "evidence" / "platform" / "github" / "api.json").read_text())
    assert {e["status"] for e in api} == {200}
    assert all(e["url"].startswith(scenario.fake.base_url) for e in api)
    everything = b"".join(p.read_bytes() for p in pack.rglob("*") if p.is_file())
    assert TOKEN.encode() not in everything
    assert TOKEN.encode() not in scenario.outcome.pack.archive.read_bytes()
    from evidencepack.pack.verify import verify_pack

    assert verify_pack(pack).ok and verify_pack(scenario.outcome.pack.archive).ok
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in scenario.fake.requests)
    # The change record: pull request #7 with its ticket and bob's approval on the merged head.
    assert "evidence/platform/changes.json" in results["CM-2"]["evidence"]
    record = json.loads((pack / "evidence" / "platform" / "changes.json").read_text())
    (change,) = record["changes"]
    assert change["url"] == "https://github.com/acme/shop/pull/7"
    assert change["ticket"] == "PLAT-9"
    assert change["reviewed_commit"] == change["merged_commit"] == scenario.c2
    assert [a for a in change["approvals"] if a["counted"]] == [
        {"reviewer": "bob", "submitted_at": REVIEWED_AT, "commit": scenario.c2, "counted": True,
         "why_not": None}]
    assert change["ordered"] is True and change["exceptions"] == []
    assert change["ordering"] == ("approved 2026-11-20T11:00Z < merged 2026-11-20T12:00Z < "
                                  "deployed by this run 2026-11-26T09:30Z")
    report = (pack / "report.html").read_text()
    assert "Changes in this deploy" in report and "PLAT-9" in report


def test_self_approval_does_not_count(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults(reviews=[gh.review(1, user="alice", commit_id=scenario.c2,
                                               submitted_at=REVIEWED_AT, pull_number=7)])
    results = scenario.run(tmp_path)
    assert results["CM-2"]["status"] == "fail"
    assert "alice approved but is an author" in results["CM-2"]["rationale"]


def test_approval_by_a_co_author_does_not_count(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults(co_author="1234+bob@users.noreply.github.com")
    results = scenario.run(tmp_path)
    assert results["CM-2"]["status"] == "fail"
    assert "bob approved but is an author" in results["CM-2"]["rationale"]


def test_stale_approval_on_an_older_commit_does_not_count(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults(reviews=[gh.review(1, user="bob", commit_id=scenario.c1,
                                               submitted_at=REVIEWED_AT, pull_number=7)])
    results = scenario.run(tmp_path)
    assert results["CM-2"]["status"] == "fail"
    assert "stale approval" in results["CM-2"]["rationale"]


def test_stale_approval_counts_when_the_policy_allows_it(scenario: Scenario, tmp_path: Path) -> None:
    (scenario.repo / "evidencepack.yml").write_text(POLICY.replace("required: 1",
                                                                   "required: 1\n  allow_stale: true"))
    _git(scenario.repo, "commit", "-q", "-am", "policy")
    scenario.serve_defaults(reviews=[gh.review(1, user="bob", commit_id=scenario.c1,
                                               submitted_at=REVIEWED_AT, pull_number=7)])
    # The policy commit is a direct push: it is its own (unreviewed) change.
    scenario.replace_list(f"/repos/acme/shop/commits/{_git(scenario.repo, 'rev-parse', 'HEAD')}/pulls", [])
    results = scenario.run(tmp_path)
    findings = results["CM-2"]["findings"]
    assert [f["rule"] for f in findings] == ["no-pull-request"]


def test_bot_approval_counts_only_when_the_policy_lists_the_bot(scenario: Scenario,
                                                                  tmp_path: Path) -> None:
    bot = gh.user("renovate[bot]", type="Bot")
    scenario.serve_defaults(reviews=[gh.review(1, user=bot, commit_id=scenario.c2,
                                               submitted_at=REVIEWED_AT, pull_number=7)])
    results = scenario.run(tmp_path)
    assert results["CM-2"]["status"] == "fail"
    assert "renovate[bot] is a bot" in results["CM-2"]["rationale"]


def test_admin_merge_without_review_while_enforce_admins_is_off(scenario: Scenario,
                                                                  tmp_path: Path) -> None:
    scenario.serve_defaults(reviews=[])
    scenario.replace("/repos/acme/shop/branches/main/protection", gh.branch_protection(
        required_approving_review_count=1, enforce_admins=False,
        required_status_checks_contexts=("test",)))
    results = scenario.run(tmp_path)
    assert statuses(results, "CM-1", "CM-2") == {"CM-1": "fail", "CM-2": "fail"}
    assert "bypass-allowed" in rules_of(results["CM-1"])
    assert "enforce_admins is off" in results["CM-1"]["rationale"]
    assert "has 0 valid approval(s) of 1 required" in results["CM-2"]["rationale"]


def test_branch_protected_by_rulesets_only(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults()
    scenario.replace("/repos/acme/shop/branches/main/protection",
                      {"message": "Branch not protected",
                       "documentation_url": "https://docs.github.com/rest"}, status=404)
    results = scenario.run(tmp_path)
    assert results["CM-1"]["status"] == "pass"
    assert "ruleset:42" in results["CM-1"]["rationale"]


def test_unprotected_branch_fails(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults()
    scenario.replace("/repos/acme/shop/branches/main/protection",
                      {"message": "Branch not protected",
                       "documentation_url": "https://docs.github.com/rest"}, status=404)
    scenario.replace_list("/repos/acme/shop/rules/branches/main", [])
    results = scenario.run(tmp_path)
    assert results["CM-1"]["status"] == "fail"
    assert rules_of(results["CM-1"]) == {"branch-not-protected"}


def test_token_without_the_needed_permission_is_an_error_naming_it(scenario: Scenario,
                                                                     tmp_path: Path) -> None:
    scenario.serve_defaults()
    refused = {"message": "Resource not accessible by integration",
               "documentation_url": "https://docs.github.com/rest"}
    scenario.replace("/repos/acme/shop/branches/main/protection", refused, status=403,
                      headers={"X-Accepted-GitHub-Permissions": "administration=read"})
    scenario.replace_list("/repos/acme/shop/rules/branches/main", [])
    scenario.replace("/repos/acme/shop/actions/secrets", refused, status=403,
                      headers={"X-Accepted-GitHub-Permissions": "secrets=read"})
    results = scenario.run(tmp_path)
    assert results["CM-1"]["status"] == "error"
    assert "administration=read" in results["CM-1"]["rationale"]
    assert results["AC-3"]["status"] == "error"
    assert "secrets=read" in results["AC-3"]["rationale"]
    assert results["CM-2"]["status"] == "pass"  # the review chain was still read


def test_reviews_over_three_pages(scenario: Scenario, tmp_path: Path) -> None:
    comments = [gh.review(i, user=f"user{i}", state="COMMENTED", commit_id=scenario.c2,
                          submitted_at=REVIEWED_AT, pull_number=7) for i in range(1, 230)]
    approval = gh.review(500, user="bob", commit_id=scenario.c2, submitted_at=REVIEWED_AT,
                         pull_number=7)
    scenario.serve_defaults(reviews=[*comments, approval])
    results = scenario.run(tmp_path)
    pages = scenario.fake.requests_to("/repos/acme/shop/pulls/7/reviews")
    assert len(pages) == 3
    assert results["CM-2"]["status"] == "pass"


def test_rate_limit_is_waited_out_then_succeeds(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults()
    pull = gh.pull_request(7, user="alice", head_sha=scenario.c2, merged_by="carol",
                           merged_at=MERGED_AT, merge_commit_sha=scenario.c2, full=True)
    scenario.fake.reset("GET", "/repos/acme/shop/pulls/7")
    scenario.fake.add_rate_limited("GET", "/repos/acme/shop/pulls/7", reset_in=30)
    scenario.fake.add("GET", "/repos/acme/shop/pulls/7", pull)
    results = scenario.run(tmp_path)
    assert results["CM-2"]["status"] == "pass"
    assert scenario.sleeps and 0 < max(scenario.sleeps) <= 3600


def test_bad_gateway_twice_then_success(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults()
    pull = gh.pull_request(7, user="alice", head_sha=scenario.c2, merged_by="carol",
                           merged_at=MERGED_AT, merge_commit_sha=scenario.c2, full=True)
    bad = {"message": "Server Error", "documentation_url": "https://docs.github.com/rest"}
    scenario.fake.reset("GET", "/repos/acme/shop/pulls/7")
    scenario.fake.add("GET", "/repos/acme/shop/pulls/7", bad, status=502, times=2)
    scenario.fake.add("GET", "/repos/acme/shop/pulls/7", pull)
    results = scenario.run(tmp_path)
    assert results["CM-2"]["status"] == "pass"
    assert len(scenario.fake.requests_to("/repos/acme/shop/pulls/7")) == 3


def test_secret_older_than_the_rotation_days(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults()
    scenario.replace("/repos/acme/shop/actions/secrets", gh.actions_secrets(
        gh.actions_secret("AWS_SECRET_ACCESS_KEY", created_at="2025-01-10T00:00:00Z")))
    results = scenario.run(tmp_path)
    assert results["AC-3"]["status"] == "fail"
    assert "AWS_SECRET_ACCESS_KEY (repository) was last updated" in \
        results["AC-3"]["findings"][0]["message"]
    assert results["DOC-1"]["status"] == "fail"


def test_actions_allowed_to_approve_pull_requests(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults()
    scenario.replace("/repos/acme/shop/actions/permissions/workflow",
                      gh.workflow_permissions("read", True))
    results = scenario.run(tmp_path)
    assert results["CM-2"]["status"] == "fail"
    assert "pipeline-may-approve" in rules_of(results["CM-2"])


def test_without_a_token_nothing_platform_passes(scenario: Scenario, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = run(RunOptions(path=scenario.repo, store=tmp_path / "s"), env={},
                  clock=lambda: NOW)
    by_id = {r.control_id: r for r in outcome.results}
    for control in ("CM-1", "CM-2", "AC-3", "LG-1", "MO-1"):
        assert by_id[control].status == "error"
        assert by_id[control].rationale.startswith("no GitHub token")
    assert scenario.fake.requests == []
    pack = outcome.pack.directory
    assert not (pack / "evidence" / "platform" / "changes.json").exists()
    assert "The change record needs a GitHub token" in (pack / "report.html").read_text()


Scenarios = Callable[..., Scenario]


def test_logs_of_a_running_run_are_archived_job_by_job(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults()
    f, r = scenario.fake, "/repos/acme/shop"
    f.add("GET", f"{r}/actions/runs/4242/logs", status=404)
    f.add("GET", f"{r}/actions/runs/4242/jobs", gh.jobs(
        gh.job(61, run_id=4242, name="test"), gh.job(62, run_id=4242, name="evidence",
                                                   status="in_progress")))
    f.add("GET", f"{r}/actions/jobs/61/logs", status=302,
          headers=gh.workflow_logs_redirect(f.url("/storage/61.txt?sig=secret-signature")))
    f.add("GET", "/storage/61.txt", b"2026-11-26T09:00:00Z pytest: 42 passed\n", validate=False)
    f.add_list(f"{r}/actions/runs/4242/approvals", [])
    env_run = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "4242",
               "GITHUB_SHA": scenario.c2, "GITHUB_REF": "refs/heads/main"}
    outcome = run(RunOptions(path=scenario.repo, store=tmp_path / "s", since=scenario.base),
                  env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": scenario.fake.base_url, **env_run},
                  clock=lambda: NOW, api_options={"sleep": scenario.sleeps.append})
    lg1 = next(r for r in outcome.results if r.control_id == "LG-1")
    assert lg1.status == "pass"
    archive = outcome.pack.directory / "evidence" / "platform" / "github" / "run-4242-job-logs.tar.gz"
    import tarfile

    with tarfile.open(archive) as tar:
        assert tar.getnames() == ["61-test.txt"]
    api = (outcome.pack.directory / "evidence" / "platform" / "github" / "api.json").read_text()
    # The signed storage URL is a short-lived credential: kept out of the evidence.
    assert "secret-signature" not in api


def test_unreadable_ruleset_leaves_branch_protection_unconfirmed(scenario: Scenario,
                                                                   tmp_path: Path) -> None:
    scenario.serve_defaults()
    scenario.replace("/repos/acme/shop/rulesets/42", {"message": "Not Found",
                     "documentation_url": "https://docs.github.com/rest"}, status=404)
    results = scenario.run(tmp_path)
    assert results["CM-1"]["status"] == "error"
    assert "ruleset 42" in results["CM-1"]["rationale"]


def test_server_errors_are_not_reported_as_missing_permissions(scenario: Scenario,
                                                                tmp_path: Path) -> None:
    scenario.serve_defaults()
    scenario.replace("/repos/acme/shop/actions/secrets", {"message": "Server Error",
                     "documentation_url": "https://docs.github.com/rest"}, status=500)
    results = scenario.run(tmp_path)
    assert results["AC-3"]["status"] == "error"
    assert "500" in results["AC-3"]["rationale"]
    assert "the token needs" not in results["AC-3"]["rationale"]


def test_three_pages_of_pull_requests_for_a_commit(scenario: Scenario, tmp_path: Path) -> None:
    scenario.serve_defaults()
    # A commit that many open pull requests share (a long-lived base); one merged it into main.
    others = [gh.pull_request(100 + i, user="dave", head_sha=scenario.c1, head_ref=f"topic-{i}")
              for i in range(240)]
    merged = gh.pull_request(7, user="alice", head_sha=scenario.c2, merged_by="carol",
                             merged_at=MERGED_AT, merge_commit_sha=scenario.c2)
    scenario.replace_list(f"/repos/acme/shop/commits/{scenario.c1}/pulls", [*others, merged])
    results = scenario.run(tmp_path)
    assert len(scenario.fake.requests_to(f"/repos/acme/shop/commits/{scenario.c1}/pulls")) == 3
    assert results["CM-2"]["status"] == "pass"
    changes = json.loads((scenario.outcome.pack.directory / "evidence" / "platform" /
                          "changes.json").read_text())
    assert [c["request"] for c in changes["changes"]] == [7]
