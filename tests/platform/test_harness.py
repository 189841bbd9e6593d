"""Tests of the fake GitHub harness itself: shapes, builders, scripting, pagination, auth."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import github_objects as gh
import httpx
import pytest
from fake_github import FakeGitHub, github_error
from openapi import SHAPES_DIR, GitHubShapes, shapes

R = "/repos/acme/shop"
SHA = "a" * 40

# (operation path, builder) for every builder: each result must fit the official response schema.
BUILDERS: dict[str, tuple[str, Callable[[], Any]]] = {
    "repository": (R, lambda: gh.repository()),
    "repository-public-with-security": (R, lambda: gh.repository(
        "octo/tools", "trunk", private=False, owner_type="User",
        security_and_analysis={"secret_scanning": "enabled", "secret_scanning_push_protection": "disabled"})),
    # Embedded users are simple-users; GET /users/{username} answers with the longer public-user.
    "user": ("#/components/schemas/simple-user", lambda: gh.user("alice")),
    "user-bot": ("#/components/schemas/simple-user", lambda: gh.user("dependabot[bot]", "Bot")),
    "public-user": ("/users/alice", lambda: gh.public_user("alice")),
    "public-user-bot": ("/users/dependabot%5Bbot%5D", lambda: gh.public_user("dependabot[bot]", "Bot")),
    "commit": (f"{R}/commits/{SHA}", lambda: gh.commit(SHA, parents=["b" * 40, "c" * 40])),
    "commit-unknown-author": (f"{R}/commits/{SHA}", lambda: gh.commit(SHA, author_login=None,
                                                                      committer_login=None)),
    "commits-of-pull": (f"{R}/pulls/7/commits", lambda: [gh.commit(SHA), gh.commit("b" * 40)]),
    "pull-request-simple": (f"{R}/pulls", lambda: [
        gh.pull_request(7, "alice", merged_at=gh.WHEN, merge_commit_sha="d" * 40, labels=["emergency"]),
        gh.pull_request(8, gh.user("renovate[bot]", "Bot")),
    ]),
    "pulls-for-commit": (f"{R}/commits/{SHA}/pulls", lambda: [gh.pull_request(7, merged_at=gh.WHEN)]),
    "pull-request-full-merged": (f"{R}/pulls/7", lambda: gh.pull_request(
        7, "alice", merged_by="carol", merged_at="2026-11-02T11:00:00Z", merge_commit_sha="d" * 40,
        full=True)),
    "pull-request-full-open": (f"{R}/pulls/8", lambda: gh.pull_request(8, full=True)),
    "reviews": (f"{R}/pulls/7/reviews", lambda: [
        gh.review(1, "bob"),
        gh.review(2, "carol", "CHANGES_REQUESTED", commit_id=None),
        gh.review(3, gh.user("github-actions[bot]", "Bot"), "COMMENTED"),
        gh.review(4, "dave", "PENDING"),
    ]),
    "branch-protection": (f"{R}/branches/main/protection", lambda: gh.branch_protection(
        2, dismiss_stale_reviews=True, require_code_owner_reviews=True, enforce_admins=True,
        required_status_checks_contexts=["test", "lint"], bypass_pull_request_allowances=["alice"])),
    "branch-protection-minimal": (f"{R}/branches/main/protection", lambda: gh.branch_protection(
        None, required_status_checks_contexts=None)),
    "branch-rules": (f"{R}/rules/branches/main", lambda: gh.branch_rules(
        gh.pull_request_rule(2, require_code_owner_review=True),
        gh.required_status_checks_rule(["test"], strict=True, integration_id=15368),
        gh.rule("non_fast_forward"), gh.rule("deletion"), gh.rule("required_linear_history"),
    ) + gh.branch_rules(gh.rule("required_signatures"), ruleset_id=7, ruleset_source="acme",
                        ruleset_source_type="Organization")),
    "branch-rules-none": (f"{R}/rules/branches/main", lambda: gh.branch_rules()),
    "ruleset": (f"{R}/rulesets/42", lambda: gh.ruleset(
        42, bypass_actors=[gh.bypass_actor(), gh.bypass_actor("Integration", 15368, "pull_request")],
        rules=[gh.pull_request_rule(), gh.rule("non_fast_forward")])),
    "ruleset-evaluate-org": (f"{R}/rulesets/9", lambda: gh.ruleset(9, enforcement="evaluate",
                                                                  source_type="Organization")),
    "rulesets-list": (f"{R}/rulesets", lambda: [gh.ruleset(42, summary=True), gh.ruleset(43, summary=True)]),
    "check-runs": (f"{R}/commits/{SHA}/check-runs", lambda: gh.check_runs(
        gh.check_run("test"), gh.check_run("lint", conclusion="failure"),
        gh.check_run("e2e", "in_progress"))),
    "actions-secrets": (f"{R}/actions/secrets", lambda: gh.actions_secrets(
        gh.actions_secret("DEPLOY_KEY", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"))),
    "environment-secrets": (f"{R}/environments/production/secrets", lambda: gh.actions_secrets()),
    "environment": (f"{R}/environments/production", lambda: gh.environment(
        "production", ["bob", gh.user("carol")], prevent_self_review=True,
        deployment_branch_policy={"protected_branches": True, "custom_branch_policies": False},
        wait_timer=10)),
    "environment-open": (f"{R}/environments/dev", lambda: gh.environment("dev")),
    "environments": (f"{R}/environments", lambda: gh.environments(gh.environment(), gh.environment("dev"))),
    "workflow-permissions": (f"{R}/actions/permissions/workflow",
                             lambda: gh.workflow_permissions("write", can_approve_pull_request_reviews=True)),
    "artifact-log-retention": (f"{R}/actions/permissions/artifact-and-log-retention",
                               lambda: gh.artifact_log_retention(30)),
    "oidc-sub-default": (f"{R}/actions/oidc/customization/sub", lambda: gh.oidc_sub()),
    "oidc-sub-custom": (f"{R}/actions/oidc/customization/sub",
                        lambda: gh.oidc_sub(False, ["repo", "context", "job_workflow_ref"])),
    "workflow-run": (f"{R}/actions/runs/1001", lambda: gh.workflow_run()),
    "workflow-runs": (f"{R}/actions/runs", lambda: gh.workflow_runs(
        gh.workflow_run(1, conclusion="failure"), gh.workflow_run(2, status="in_progress", run_attempt=2),
        gh.workflow_run(3, event="pull_request", head_branch="feature"))),
    "jobs": (f"{R}/actions/runs/1001/jobs",
             lambda: gh.jobs(gh.job(), gh.job(5002, name="deploy", status="queued"))),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builder_output_fits_the_official_schema(name: str, github_shapes: GitHubShapes) -> None:
    path, build = BUILDERS[name]
    if path.startswith("#/"):
        github_shapes.validate_schema(path, build())
    else:
        github_shapes.validate("GET", path, 200, build())


def test_builders_are_deterministic_and_independent() -> None:
    # Builders copy the cached example: mutating one result must not leak into the next.
    first = gh.pull_request(7)
    first["head"]["sha"] = "mutated"
    assert gh.pull_request(7)["head"]["sha"] == SHA
    assert gh.user("alice") == gh.user("alice")
    assert gh.user("alice")["id"] != gh.user("bob")["id"]


def test_builders_point_at_the_requested_repository() -> None:
    text = json.dumps([gh.repository(), gh.pull_request(7, full=True), gh.review(1, pull_number=7),
                       gh.branch_protection(), gh.workflow_run(), gh.check_run(), gh.job()])
    for placeholder in gh._EXAMPLE_REPOS:
        assert placeholder not in text
    assert gh.pull_request(7)["html_url"] == "https://github.com/acme/shop/pull/7"
    assert gh.review(5, pull_number=7)["pull_request_url"] == "https://api.github.com/repos/acme/shop/pulls/7"


# -- the shapes themselves ------------------------------------------------------------------------

# GitHub's own examples that do not fit GitHub's own schemas (fields made required after the example
# was written, a stale enum value, a number sent as a string). Kept explicit so a new subset that
# fixes or adds gaps is noticed.
KNOWN_EXAMPLE_GAPS = {
    ("repos/get", "default-response"): "'language' is a required property",
    ("repos/get-branch-protection", "default"): "is a required property",
    ("repos/get-repo-rulesets", "default"): "'enabled' is not one of",
    ("pulls/list", "default"): "'type' is a required property",
    ("pulls/get", "default"): "'type' is a required property",
    ("repos/list-pull-requests-associated-with-commit", "default"): "'type' is a required property",
    ("repos/get-commit", "default"): "is a required property",
    ("issues/get", "default"): "is a required property",
    ("issues/get", "pinned_comment"): "is a required property",
    ("actions/list-jobs-for-workflow-run", "default"): "'created_at' is a required property",
    ("dependabot/list-alerts-for-repo", "default"): "is not of type 'number'",
    ("repos/list-teams", "default"): "'type' is a required property",
}


def _concrete(template: str) -> str:
    return template.replace("{path}", "docs/README.md").replace("{", "x").replace("}", "")


def test_openapi_examples_fit_their_schemas_except_known_gaps(github_shapes: GitHubShapes) -> None:
    # This checks the OpenAPI 3.0 translation (nullable, oneOf/allOf, refs) against 50 operations'
    # worth of GitHub-authored bodies.
    checked = 0
    gaps = {}
    for op in github_shapes.operations():
        for status in op.spec.get("responses", {}):
            for name, body in github_shapes.examples(op.method, op.template, status).items():
                checked += 1
                problem = github_shapes.schema_error(op.method, _concrete(op.template), status, body)
                if problem:
                    gaps[(op.operation_id, name)] = problem
    assert checked > 50
    assert set(gaps) == set(KNOWN_EXAMPLE_GAPS)
    for key, expected in KNOWN_EXAMPLE_GAPS.items():
        assert expected in gaps[key], gaps[key]


def _recordings() -> list[tuple[str, str, int, Any]]:
    """(name, path, status, body) of every recorded real GET reply (read, never copied)."""
    found = []
    for file in sorted((SHAPES_DIR / "recorded-pygithub").glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        reply = data["response"]
        found.append((file.name, data["request"]["path"], reply["status"], reply["body"]))
    for file in sorted((SHAPES_DIR / "recorded-octokit-fixtures").glob("*.json")):
        for exchange in json.loads(file.read_text(encoding="utf-8")):
            # The collaborator scenario also reads /invitations, which evidencepack does not use.
            if exchange["method"] == "get" and shapes().match("GET", exchange["path"]):
                found.append((file.name, exchange["path"], exchange["status"], exchange["response"]))
    return found


@pytest.mark.parametrize(("name", "path", "status", "body"), _recordings(),
                         ids=[f"{r[0]}:{r[2]}:{r[1][-30:]}" for r in _recordings()])
def test_recorded_real_replies_differ_only_by_fields_added_since(
    name: str, path: str, status: int, body: Any, github_shapes: GitHubShapes
) -> None:
    # Real replies recorded years ago must fit, except for properties the schema made required
    # later (auto_merge, display_title, has_discussions...): a type error would mean our
    # translation of OpenAPI 3.0 rejects what GitHub really sends.
    matched = github_shapes.match("GET", path)
    assert matched is not None
    validator = github_shapes._validator(matched[1], str(status))
    assert validator is not None
    kinds = {e.validator for e in validator.iter_errors(body)}
    assert kinds <= {"required"}, (name, kinds)


def test_recent_recordings_fit_exactly(github_shapes: GitHubShapes) -> None:
    # Recordings made after the schema's newer required fields existed must fit without exception.
    exact = (
        "get-branch-protection.json", "get-branch-protection-not-protected-404.json", "get-repository.json",
        "list-actions-secrets.json", "list-environments.json", "list-deployments.json",
        "list-secret-scanning-alerts.json", "list-dependabot-alerts.json",
        "branch-protection.normalized-fixture.json",
    )
    checked = 0
    for name, path, status, body in _recordings():
        if name in exact:
            github_shapes.validate("GET", path, status, body)
            checked += 1
    assert checked == len(exact)


def test_match_prefers_literal_segments_and_spans_file_paths(github_shapes: GitHubShapes) -> None:
    assert github_shapes.match("GET", f"{R}/rulesets/rule-suites")[0].endswith("/rulesets/rule-suites")  # type: ignore[index]
    assert github_shapes.match("GET", f"{R}/rulesets/42")[0].endswith("/rulesets/{ruleset_id}")  # type: ignore[index]
    template, op = github_shapes.match("GET", f"{R}/contents/.github/workflows/ci.yml?ref=main")  # type: ignore[misc]
    assert (template, op.operation_id) == ("/repos/{owner}/{repo}/contents/{path}", "repos/get-content")
    template, _ = github_shapes.match("GET", f"{R}/branches/release%2F1.0/protection")  # type: ignore[misc]
    assert template == "/repos/{owner}/{repo}/branches/{branch}/protection"
    assert github_shapes.match("GET", f"{R}/no-such-thing") is None
    assert github_shapes.match("DELETE", R) is None


def test_operation_and_example_lookup(github_shapes: GitHubShapes) -> None:
    op = github_shapes.operation("get", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
    assert op.operation_id == "pulls/list-reviews"
    example = github_shapes.example("GET", "/repos/{owner}/{repo}/actions/permissions/workflow")
    assert example == {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": True}
    # Inline examples (no components/examples $ref) are found too.
    retention = "/repos/{owner}/{repo}/actions/permissions/artifact-and-log-retention"
    assert github_shapes.example("GET", retention) == {"days": 90, "maximum_allowed_days": 365}
    assert github_shapes.example("GET", "/repos/{owner}/{repo}/pulls", "422") is None
    with pytest.raises(KeyError, match="not in the GitHub OpenAPI subset"):
        github_shapes.operation("GET", "/nope")


def test_nullable_is_translated(github_shapes: GitHubShapes) -> None:
    review = gh.review(1, commit_id=None)       # "type": "string", "nullable": true
    review["user"] = None                       # nullable-simple-user: a nullable $ref target
    github_shapes.validate("GET", f"{R}/pulls/7/reviews", 200, [review])
    run = gh.ruleset()
    run["conditions"] = None                    # nullable anyOf without a type
    github_shapes.validate("GET", f"{R}/rulesets/42", 200, run)
    with pytest.raises(AssertionError, match=r"\$\[0\]\.id"):
        review["id"] = None                     # not nullable
        github_shapes.validate("GET", f"{R}/pulls/7/reviews", 200, [review])


def test_shapes_are_loaded_once() -> None:
    assert shapes() is shapes()


# -- FakeGitHub: validation of scripted replies --------------------------------------------------

def test_review_with_string_user_is_rejected_naming_the_operation(github: FakeGitHub) -> None:
    bad = gh.review(1)
    bad["user"] = "octocat"
    with pytest.raises(AssertionError) as caught:
        github.add("GET", f"{R}/pulls/7/reviews", [bad])
    message = str(caught.value)
    assert "pulls/list-reviews" in message
    assert "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews" in message
    assert "$[0].user" in message


def test_pull_request_without_number_is_rejected(github: FakeGitHub) -> None:
    bad = gh.pull_request(7, full=True)
    del bad["number"]
    with pytest.raises(AssertionError, match=r"pulls/get.*\n.*'number' is a required property"):
        github.add("GET", f"{R}/pulls/7", bad)


def test_list_with_a_drifted_item_is_rejected(github: FakeGitHub) -> None:
    items = [gh.pull_request(n) for n in range(1, 5)]
    items[2]["state"] = 3
    with pytest.raises(AssertionError, match=r"pulls/list.*\n.*\$\[2\]\.state"):
        github.add_list(f"{R}/pulls", items)


def test_rule_drift_is_reported_inside_the_right_rule_type(github: FakeGitHub) -> None:
    # Rules are a oneOf over 23 rule types; the message must come from the pull_request branch.
    rule = gh.pull_request_rule()
    del rule["parameters"]["require_last_push_approval"]
    with pytest.raises(AssertionError, match=r"repos/get-branch-rules.*\n.*\$\[0\]\.parameters: "
                                             r"'require_last_push_approval' is a required property"):
        github.add("GET", f"{R}/rules/branches/main", gh.branch_rules(rule))


def test_undocumented_status_is_rejected(github: FakeGitHub) -> None:
    # Run logs are a 302 to blob storage on GitHub, never a 200 with the archive.
    with pytest.raises(AssertionError, match="status 200 is not a documented reply"):
        github.add("GET", f"{R}/actions/runs/1/logs", b"zip")


def test_strictness_can_be_lifted_for_deliberately_broken_replies(github: FakeGitHub) -> None:
    github.add("GET", f"{R}/pulls/7", {"garbage": True}, validate=False)
    with httpx.Client(base_url=github.base_url) as client:
        assert client.get(f"{R}/pulls/7").json() == {"garbage": True}
    lax = FakeGitHub(strict=False)
    lax.add("GET", f"{R}/pulls/7", {"garbage": True})


def test_error_bodies_have_githubs_shape(github: FakeGitHub) -> None:
    github.add("GET", f"{R}/branches/main/protection", status=404,
               body=github_error(404, "Branch not protected"))
    github.add("GET", f"{R}/actions/secrets", status=403)
    with httpx.Client(base_url=github.base_url) as client:
        missing = client.get(f"{R}/branches/main/protection")
        forbidden = client.get(f"{R}/actions/secrets")
        unknown = client.get(f"{R}/nothing/here")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Branch not protected"
    assert forbidden.status_code == 403
    assert set(forbidden.json()) == {"message", "documentation_url", "status"}
    assert forbidden.json()["message"] == "Resource not accessible by integration"
    assert unknown.status_code == 404 and unknown.json()["message"] == "Not Found"
    assert [r.path for r in github.unmatched] == [f"{R}/nothing/here"]
    # A malformed error body is caught like any other drift.
    with pytest.raises(AssertionError, match=r"\$\.message: 404 is not of type 'string'"):
        github.add("GET", f"{R}/actions/secrets", {"message": 404}, status=404)


# -- FakeGitHub: scripted sequences ---------------------------------------------------------------

def test_502_twice_then_200_then_200_repeats(github: FakeGitHub) -> None:
    github.add("GET", R, status=502, times=2)
    github.add("GET", R, gh.repository())
    with httpx.Client(base_url=github.base_url) as client:
        statuses = [client.get(R).status_code for _ in range(4)]
    assert statuses == [502, 502, 200, 200]
    assert len(github.requests_to(R)) == 4


def test_replies_without_times_are_served_once_in_order(github: FakeGitHub) -> None:
    github.add("GET", f"{R}/actions/permissions/workflow", gh.workflow_permissions("write"))
    github.add("GET", f"{R}/actions/permissions/workflow", gh.workflow_permissions("read"))
    with httpx.Client(base_url=github.base_url) as client:
        got = [client.get(f"{R}/actions/permissions/workflow").json()["default_workflow_permissions"]
               for _ in range(3)]
    assert got == ["write", "read", "read"]


def test_finite_script_then_github_404(github: FakeGitHub) -> None:
    github.add("GET", R, gh.repository(), times=1)
    with httpx.Client(base_url=github.base_url) as client:
        assert client.get(R).status_code == 200
        assert client.get(R).status_code == 404
    assert len(github.unmatched) == 1


def test_primary_rate_limit_then_success(github: FakeGitHub) -> None:
    reset = github.add_rate_limited("GET", R, reset_in=2)
    github.add("GET", R, gh.repository())
    with httpx.Client(base_url=github.base_url) as client:
        limited = client.get(R)
        ok = client.get(R)
    assert limited.status_code == 403
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) == reset >= int(time.time())
    assert "rate limit exceeded" in limited.json()["message"]
    assert ok.status_code == 200
    assert int(ok.headers["X-RateLimit-Remaining"]) > 0


def test_secondary_rate_limit_carries_retry_after(github: FakeGitHub) -> None:
    github.add_rate_limited("GET", f"{R}/pulls", retry_after=3, status=429)
    with httpx.Client(base_url=github.base_url) as client:
        reply = client.get(f"{R}/pulls")
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "3"
    assert "secondary rate limit" in reply.json()["message"]


# -- FakeGitHub: pagination -----------------------------------------------------------------------

def _links(reply: httpx.Response) -> dict[str, str]:
    return {str(rel): link["url"] for rel, link in reply.links.items()}


def test_three_pages_with_githubs_link_header(github: FakeGitHub) -> None:
    github.add_list(f"{R}/pulls", [gh.pull_request(n) for n in range(1, 71)])
    seen: list[int] = []
    headers: list[dict[str, str]] = []
    with httpx.Client(base_url=github.base_url) as client:
        url: str | None = github.url(f"{R}/pulls?state=closed")
        while url:
            reply = client.get(url)
            assert reply.status_code == 200
            seen += [pr["number"] for pr in reply.json()]
            headers.append(_links(reply))
            url = _links(reply).get("next")
    assert seen == list(range(1, 71))
    assert len(headers) == 3
    base = github.url(f"{R}/pulls")
    assert headers[0] == {"next": f"{base}?state=closed&page=2", "last": f"{base}?state=closed&page=3"}
    assert headers[1] == {"prev": f"{base}?state=closed&page=1", "next": f"{base}?state=closed&page=3",
                          "last": f"{base}?state=closed&page=3", "first": f"{base}?state=closed&page=1"}
    assert headers[2] == {"prev": f"{base}?state=closed&page=2", "first": f"{base}?state=closed&page=1"}
    assert [r.query.get("page") for r in github.requests_to(f"{R}/pulls")] == [None, ["2"], ["3"]]


def test_per_page_is_honoured_and_capped(github: FakeGitHub) -> None:
    github.add_list(f"{R}/pulls/7/reviews", [gh.review(n) for n in range(1, 251)])
    with httpx.Client(base_url=github.base_url) as client:
        one = client.get(f"{R}/pulls/7/reviews", params={"per_page": 100, "page": 3})
        capped = client.get(f"{R}/pulls/7/reviews", params={"per_page": 500})
        beyond = client.get(f"{R}/pulls/7/reviews", params={"page": 99})
    assert [r["id"] for r in one.json()] == list(range(201, 251))
    assert "next" not in one.links and "per_page=100" in _links(one)["prev"]
    assert len(capped.json()) == 100
    assert beyond.json() == []


def test_wrapped_lists_page_their_array_and_keep_the_total(github: FakeGitHub) -> None:
    secrets = [gh.actions_secret(f"SECRET_{n}") for n in range(5)]
    github.add_list(f"{R}/actions/secrets", secrets, per_page_default=2)
    with httpx.Client(base_url=github.base_url) as client:
        page = client.get(f"{R}/actions/secrets", params={"page": 3}).json()
    assert page == {"total_count": 5, "secrets": secrets[4:]}


def test_a_page_can_fail_before_it_succeeds(github: FakeGitHub) -> None:
    github.add_list(f"{R}/pulls", [gh.pull_request(n) for n in range(1, 61)])
    github.add("GET", f"{R}/pulls?page=2", status=502, times=1)
    with httpx.Client(base_url=github.base_url) as client:
        statuses = [client.get(f"{R}/pulls", params=p).status_code
                    for p in ({}, {"page": 2}, {"page": 2}, {"page": 1})]
    assert statuses == [200, 502, 200, 200]


def test_a_scripted_error_before_a_list(github: FakeGitHub) -> None:
    github.add_rate_limited("GET", f"{R}/pulls/7/reviews", reset_in=0)
    github.add_list(f"{R}/pulls/7/reviews", [gh.review(1)])
    with httpx.Client(base_url=github.base_url) as client:
        assert client.get(f"{R}/pulls/7/reviews").status_code == 403
        assert client.get(f"{R}/pulls/7/reviews").json()[0]["id"] == 1


# -- FakeGitHub: Enterprise prefix, auth, request log, raw replies --------------------------------

def test_enterprise_server_prefix() -> None:
    with FakeGitHub(prefix="/api/v3/") as ghes:
        assert ghes.base_url.endswith("/api/v3")
        ghes.add("GET", R, gh.repository())
        ghes.add_list(f"{R}/pulls", [gh.pull_request(n) for n in range(1, 4)], per_page_default=1)
        with httpx.Client(base_url=ghes.base_url) as client:
            assert client.get(R).json()["full_name"] == "acme/shop"
            assert client.get(f"{ghes.origin}{R}").status_code == 404
            page = client.get(f"{R}/pulls")
        assert _links(page)["next"] == f"{ghes.origin}/api/v3{R}/pulls?page=2"
        assert [r.path for r in ghes.requests] == [R, R, f"{R}/pulls"]
        assert ghes.requests[1].raw_path == R and ghes.unmatched == [ghes.requests[1]]


def test_require_token(github: FakeGitHub) -> None:
    github.require_token("ghs_secret")
    github.add("GET", R, gh.repository())
    with httpx.Client(base_url=github.base_url) as client:
        anonymous = client.get(R)
        wrong = client.get(R, headers={"Authorization": "Bearer nope"})
        bearer = client.get(R, headers={"Authorization": "Bearer ghs_secret"})
        legacy = client.get(R, headers={"Authorization": "token ghs_secret"})
    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.json()["message"] == "Bad credentials"
    assert bearer.status_code == legacy.status_code == 200
    assert [r.authorization for r in github.requests] == [
        None, "Bearer nope", "Bearer ghs_secret", "token ghs_secret"]


def test_request_log_keeps_method_path_query_and_headers(github: FakeGitHub) -> None:
    github.add("GET", f"{R}/commits/{SHA}/check-runs", gh.check_runs(gh.check_run()))
    with httpx.Client(base_url=github.base_url, headers={"X-GitHub-Api-Version": "2022-11-28"}) as client:
        client.get(f"{R}/commits/{SHA}/check-runs", params={"filter": "latest", "per_page": 100})
    (request,) = github.requests
    assert (request.method, request.path) == ("GET", f"{R}/commits/{SHA}/check-runs")
    assert request.query == {"filter": ["latest"], "per_page": ["100"]}
    assert request.header("x-github-api-version") == "2022-11-28"


def test_logs_redirect_and_archive(github: FakeGitHub, tmp_path: Path) -> None:
    archive = b"PK\x03\x04 fake zip"
    github.add("GET", f"{R}/actions/runs/1001/logs", status=302,
               headers=gh.workflow_logs_redirect(github.origin + "/blobs/logs-1001.zip"))
    # On GitHub the archive is on a blob store; any path outside the OpenAPI subset is served unvalidated.
    github.add("GET", "/blobs/logs-1001.zip", archive, content_type="application/zip")
    with httpx.Client(base_url=github.base_url, follow_redirects=True) as client:
        reply = client.get(f"{R}/actions/runs/1001/logs")
    assert reply.status_code == 200
    assert reply.content == archive
    assert reply.headers["content-type"] == "application/zip"
    assert reply.history[0].status_code == 302


def test_encoded_branch_names(github: FakeGitHub) -> None:
    github.add("GET", f"{R}/branches/release%2F1.0/protection", gh.branch_protection(branch="release/1.0"))
    with httpx.Client(base_url=github.base_url) as client:
        assert client.get(f"{R}/branches/release%2F1.0/protection").status_code == 200
