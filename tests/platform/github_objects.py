"""Realistic GitHub REST objects for the fake server, built from GitHub's own examples.

Each builder deep-copies the example body the official OpenAPI description gives for the
operation (MIT, `@octokit/openapi`), points its URLs at the requested repository and user, then
overrides the fields a test cares about. The result validates against the official schema of
the operation (tests/platform/test_harness.py checks every builder).

Some of GitHub's own examples do not fit GitHub's own schemas (the schemas gained required fields
the examples never got); each builder patches those gaps, with a comment. The LGPL PyGithub
recordings are only read at test time, never copied here.

Defaults: repository "acme/shop", branch "main", timestamps in November 2026. Users may be given
as a login (built with `user()`) or as a ready object.
"""

from __future__ import annotations

import base64
import copy
import functools
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from openapi import shapes

Json = dict[str, Any]
UserRef = str | Mapping[str, Any]

REPO = "acme/shop"
API = "https://api.github.com"
WEB = "https://github.com"
WHEN = "2026-11-02T10:00:00Z"

# Repository names the examples use, rewritten to the repository a builder is asked for.
_EXAMPLE_REPOS = ("octocat/Hello-World", "octo-org/octo-repo", "github/hello-world", "monalisa/my-repo")


# -- helpers -----------------------------------------------------------------------------------------

@functools.cache
def _example_cached(template: str, status: str) -> Any:
    found = shapes().example("GET", template, status)
    if found is None:
        raise LookupError(f"GET {template} has no example for {status}")
    return found


def _example(template: str, status: str = "200") -> Any:
    """A fresh deep copy of the operation's first example body."""
    return copy.deepcopy(_example_cached(template, status))


def _first(template: str, key: str | None = None) -> Json:
    """The first item of a list example (or of `example[key]` for wrapped lists)."""
    body = _example(template)
    items = body[key] if key else body
    return dict(items[0])


def _retarget(value: Any, replacements: Mapping[str, str]) -> Any:
    """`value` with every string's placeholder names replaced (keys untouched)."""
    if isinstance(value, str):
        for old, new in replacements.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_retarget(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: _retarget(v, replacements) for k, v in value.items()}
    return value


def _to_repo(value: Any, full_name: str) -> Any:
    return _retarget(value, dict.fromkeys(_EXAMPLE_REPOS, full_name))


def stable_id(text: str) -> int:
    """A deterministic positive id for a name, so objects built twice are equal."""
    return zlib.crc32(text.encode()) % 90_000_000 + 10_000_000


def node_id(kind: str, number: int) -> str:
    """A legacy-format global node id (base64 of "<len>:<Kind><id>"), as the examples carry."""
    raw = f"0{len(kind)}:{kind}{number}"
    return base64.b64encode(raw.encode()).decode()


def timestamp(value: str | datetime) -> str:
    """GitHub's timestamp form (UTC, seconds, trailing Z)."""
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(value: UserRef | None) -> Json | None:
    if value is None:
        return None
    return user(value) if isinstance(value, str) else dict(value)


def _org(login: str) -> Json:
    return user(login, "Organization")


def _wrap(key: str, items: Iterable[Json]) -> Json:
    listed = list(items)
    return {"total_count": len(listed), key: listed}


# -- users and repositories ---------------------------------------------------------------------------

def user(login: str, type: str = "User", id: int | None = None, *, site_admin: bool = False) -> Json:
    """A simple-user: `type` is "User", "Bot" (login like "dependabot[bot]") or "Organization"."""
    base = _first("/repos/{owner}/{repo}/pulls/{pull_number}/reviews")["user"]
    obj: Json = _retarget(base, {"octocat": login})
    number = stable_id(login) if id is None else id
    obj.update(id=number, node_id=node_id(type, number), type=type, site_admin=site_admin)
    if type == "Bot":
        # Bots have an app page, not a profile.
        obj["html_url"] = f"{WEB}/apps/{login.removesuffix('[bot]')}"
        obj["avatar_url"] = f"https://avatars.githubusercontent.com/in/{number}?v=4"
    else:
        obj["avatar_url"] = f"https://avatars.githubusercontent.com/u/{number}?v=4"
    return obj


def public_user(login: str, type: str = "User", id: int | None = None) -> Json:
    """GET /users/{username}: the public profile (more fields than the embedded simple-user)."""
    obj: Json = _retarget(_example("/users/{username}"), {"octocat": login})
    obj.update({k: v for k, v in user(login, type, id).items() if k in obj})
    obj.update(name=login, company=None, blog="", location=None, email=None, bio=None,
               twitter_username=None, public_repos=0, public_gists=0, followers=0, following=0)
    return obj


def repository(
    full_name: str = REPO,
    default_branch: str = "main",
    private: bool = True,
    security_and_analysis: Mapping[str, str | Mapping[str, Any]] | None = None,
    *,
    visibility: str | None = None,
    owner_type: str = "Organization",
    id: int | None = None,
) -> Json:
    """GET /repos/{owner}/{repo} (full-repository).

    `security_and_analysis` takes the short form {"secret_scanning": "enabled", ...}; None leaves
    the field out, as GitHub does for callers without admin rights.
    """
    owner, name = full_name.split("/", 1)
    obj: Json = _to_repo(_example("/repos/{owner}/{repo}"), full_name)
    # A repository that is not a fork has no parent/source/template; the example's `source` also
    # lacks the required `language`, so the example cannot be kept as it is.
    for key in ("parent", "source", "template_repository"):
        obj.pop(key, None)
    number = stable_id(full_name) if id is None else id
    obj.update(
        id=number,
        node_id=node_id("Repository", number),
        name=name,
        full_name=full_name,
        owner=user(owner, owner_type),
        private=private,
        visibility=visibility or ("private" if private else "public"),
        default_branch=default_branch,
        # Required and nullable, absent from GitHub's example.
        language="Python",
        mirror_url=None,
        temp_clone_token=None,
        topics=[],
    )
    if owner_type == "Organization":
        obj["organization"] = user(owner, "Organization")
    else:
        obj.pop("organization", None)
    if security_and_analysis is not None:
        obj["security_and_analysis"] = {
            k: ({"status": v} if isinstance(v, str) else dict(v)) for k, v in security_and_analysis.items()
        }
    return obj


# -- commits and pull requests --------------------------------------------------------------------------

def commit(
    sha: str,
    author_login: str | None = "alice",
    author_name: str = "Alice Author",
    author_email: str = "alice@example.com",
    committer_login: str | None = "web-flow",
    message: str = "Change things",
    parents: Sequence[str] = (),
    *,
    committer_name: str = "GitHub",
    committer_email: str = "noreply@github.com",
    date: str | datetime = WHEN,
    full_name: str = REPO,
) -> Json:
    """A commit as listed by /pulls/{n}/commits, /commits and /commits/{ref}.

    A login of None gives `author: null`, which is what GitHub returns when the e-mail address
    maps to no account. The default committer is `web-flow`, as for merges made on github.com.
    """
    obj: Json = _to_repo(_first("/repos/{owner}/{repo}/pulls/{pull_number}/commits"), full_name)
    obj = _retarget(obj, {"6dcb09b5b57875f334f61aebed695e2e4193db5e": sha})
    when = timestamp(date)
    obj.update(
        sha=sha,
        node_id=node_id("Commit", stable_id(sha)),
        author=_user(author_login),
        committer=_user(committer_login),
        parents=[
            {
                "sha": p,
                "url": f"{API}/repos/{full_name}/commits/{p}",
                "html_url": f"{WEB}/{full_name}/commit/{p}",
            }
            for p in parents
        ],
    )
    obj["commit"].update(
        author={"name": author_name, "email": author_email, "date": when},
        committer={"name": committer_name, "email": committer_email, "date": when},
        message=message,
    )
    return obj


def label(name: str, color: str = "d73a4a", description: str = "") -> Json:
    """An issue label as embedded in pull requests.

    The simple pull request schema types `description` as a non-nullable string, although
    GitHub sends null for labels without one: keep a string here so list replies validate.
    """
    number = stable_id("label:" + name)
    return {
        "id": number,
        "node_id": node_id("Label", number),
        "url": f"{API}/repos/{REPO}/labels/{name}",
        "name": name,
        "description": description,
        "color": color,
        "default": False,
    }


def pull_request(
    number: int,
    user: UserRef = "alice",
    head_sha: str = "a" * 40,
    base_ref: str = "main",
    merged_by: UserRef | None = None,
    merged_at: str | datetime | None = None,
    merge_commit_sha: str | None = None,
    title: str = "Change things",
    body: str | None = "",
    labels: Sequence[str] = (),
    head_ref: str = "feature",
    *,
    full: bool = False,
    state: str | None = None,
    created_at: str | datetime = WHEN,
    full_name: str = REPO,
) -> Json:
    """A pull request: the simple form of list endpoints (/pulls, /commits/{sha}/pulls), or with
    `full=True` the form of GET /pulls/{pull_number} (which adds merged, merged_by, counts...).

    Merged when `merged_at` is given; `state` defaults to "closed" then, "open" otherwise.
    """
    base: Json = (_example("/repos/{owner}/{repo}/pulls/{pull_number}") if full
                  else _first("/repos/{owner}/{repo}/pulls"))
    obj: Json = _to_repo(base, full_name)
    obj = _retarget(obj, {"/1347": f"/{number}"})
    author = _user(user)
    assert author is not None
    merged = merged_at is not None
    obj.update(
        id=stable_id(f"{full_name}#pr{number}"),
        number=number,
        user=author,
        title=title,
        body=body,
        state=state or ("closed" if merged else "open"),
        locked=False,
        active_lock_reason=None,
        labels=[label(n) for n in labels],
        milestone=None,
        assignee=None,
        assignees=[],
        requested_reviewers=[],
        # GitHub's example teams lack the `type` the team schema now requires.
        requested_teams=[],
        created_at=timestamp(created_at),
        updated_at=timestamp(merged_at or created_at),
        closed_at=timestamp(merged_at) if merged_at is not None else None,
        merged_at=timestamp(merged_at) if merged_at is not None else None,
        merge_commit_sha=merge_commit_sha,
        draft=False,
        auto_merge=None,
        author_association="MEMBER",
    )
    obj["node_id"] = node_id("PullRequest", obj["id"])
    owner = full_name.split("/", 1)[0]
    obj["head"].update(label=f"{owner}:{head_ref}", ref=head_ref, sha=head_sha)
    obj["base"].update(label=f"{owner}:{base_ref}", ref=base_ref)
    for side in ("head", "base"):
        obj[side]["user"] = _org(owner)
        obj[side]["repo"].update(owner=_org(owner), name=full_name.split("/", 1)[1], topics=[])
    obj["statuses_url"] = f"{API}/repos/{full_name}/statuses/{head_sha}"
    if full:
        obj.update(
            merged=merged,
            merged_by=_user(merged_by) if merged else None,
            mergeable=None if merged else True,
            mergeable_state="unknown" if merged else "clean",
            rebaseable=None,
        )
    return obj


def review(
    id: int,
    user: UserRef = "bob",
    state: str = "APPROVED",
    commit_id: str | None = "a" * 40,
    submitted_at: str | datetime = WHEN,
    *,
    pull_number: int = 1,
    body: str = "",
    author_association: str = "MEMBER",
    full_name: str = REPO,
) -> Json:
    """A pull request review (GET /pulls/{n}/reviews). States: APPROVED, CHANGES_REQUESTED,
    COMMENTED, DISMISSED, PENDING (PENDING reviews have no submitted_at)."""
    obj: Json = _to_repo(_first("/repos/{owner}/{repo}/pulls/{pull_number}/reviews"), full_name)
    obj = _retarget(obj, {"/12": f"/{pull_number}", "pullrequestreview-80": f"pullrequestreview-{id}"})
    obj.update(
        id=id,
        node_id=node_id("PullRequestReview", id),
        user=_user(user),
        state=state,
        commit_id=commit_id,
        body=body,
        author_association=author_association,
    )
    if state == "PENDING":
        obj.pop("submitted_at", None)
    else:
        obj["submitted_at"] = timestamp(submitted_at)
    return obj


# -- branch protection, rules and rulesets ---------------------------------------------------------------

def branch_protection(
    required_approving_review_count: int | None = 1,
    dismiss_stale_reviews: bool = False,
    require_code_owner_reviews: bool = False,
    enforce_admins: bool = False,
    required_status_checks_contexts: Sequence[str] | None = ("test",),
    bypass_pull_request_allowances: Sequence[UserRef] = (),
    *,
    require_last_push_approval: bool = False,
    strict: bool = True,
    allow_force_pushes: bool = False,
    allow_deletions: bool = False,
    full_name: str = REPO,
    branch: str = "main",
) -> Json:
    """GET /repos/{owner}/{repo}/branches/{branch}/protection (classic protection).

    `required_approving_review_count=None` leaves pull request reviews unrequired (the key is
    absent, as on GitHub); `required_status_checks_contexts=None` likewise for status checks.
    """
    obj: Json = _to_repo(_example("/repos/{owner}/{repo}/branches/{branch}/protection"), full_name)
    obj = _retarget(obj, {"/branches/master/": f"/branches/{branch}/"})
    url = obj["url"]
    # The example's restrictions and dismissal_restrictions hold teams without the now-required
    # `type` and an app owner missing fields; both are optional and off by default on GitHub.
    obj.pop("restrictions", None)
    obj["enforce_admins"] = {"url": f"{url}/enforce_admins", "enabled": enforce_admins}
    if required_status_checks_contexts is None:
        obj.pop("required_status_checks", None)
    else:
        obj["required_status_checks"] = {
            "url": f"{url}/required_status_checks",
            "strict": strict,
            "contexts": list(required_status_checks_contexts),
            "contexts_url": f"{url}/required_status_checks/contexts",
            # `checks` is required by the schema but missing from GitHub's example.
            "checks": [{"context": c, "app_id": None} for c in required_status_checks_contexts],
            "enforcement_level": "everyone" if enforce_admins else "non_admins",
        }
    if required_approving_review_count is None:
        obj.pop("required_pull_request_reviews", None)
    else:
        reviews: Json = {
            "url": f"{url}/required_pull_request_reviews",
            "dismiss_stale_reviews": dismiss_stale_reviews,
            "require_code_owner_reviews": require_code_owner_reviews,
            "required_approving_review_count": required_approving_review_count,
            "require_last_push_approval": require_last_push_approval,
        }
        if bypass_pull_request_allowances:
            reviews["bypass_pull_request_allowances"] = {
                "users": [_user(u) for u in bypass_pull_request_allowances], "teams": [], "apps": [],
            }
        obj["required_pull_request_reviews"] = reviews
    obj["allow_force_pushes"] = {"enabled": allow_force_pushes}
    obj["allow_deletions"] = {"enabled": allow_deletions}
    obj["required_linear_history"] = {"enabled": False}
    obj["lock_branch"] = {"enabled": False}
    obj["required_conversation_resolution"] = {"enabled": False}
    obj["allow_fork_syncing"] = {"enabled": False}
    obj["required_signatures"] = {"url": f"{url}/required_signatures", "enabled": False}
    return obj


def pull_request_rule(
    required_approving_review_count: int = 1,
    *,
    dismiss_stale_reviews_on_push: bool = False,
    require_code_owner_review: bool = False,
    require_last_push_approval: bool = False,
    required_review_thread_resolution: bool = False,
    allowed_merge_methods: Sequence[str] = ("merge", "squash", "rebase"),
) -> Json:
    """A `pull_request` rule (all five parameters below are required by the schema)."""
    return {
        "type": "pull_request",
        "parameters": {
            "required_approving_review_count": required_approving_review_count,
            "dismiss_stale_reviews_on_push": dismiss_stale_reviews_on_push,
            "require_code_owner_review": require_code_owner_review,
            "require_last_push_approval": require_last_push_approval,
            "required_review_thread_resolution": required_review_thread_resolution,
            "allowed_merge_methods": list(allowed_merge_methods),
        },
    }


def required_status_checks_rule(
    contexts: Sequence[str] = ("test",), *, strict: bool = False, integration_id: int | None = None
) -> Json:
    """A `required_status_checks` rule; `integration_id` pins the app that must report."""
    checks: list[Json] = []
    for context in contexts:
        check: Json = {"context": context}
        if integration_id is not None:
            check["integration_id"] = integration_id
        checks.append(check)
    return {
        "type": "required_status_checks",
        "parameters": {"required_status_checks": checks, "strict_required_status_checks_policy": strict},
    }


def rule(type: str, parameters: Mapping[str, Any] | None = None) -> Json:
    """Any other rule: "non_fast_forward", "deletion", "creation", "required_linear_history",
    "required_signatures" (no parameters) or one with `parameters`."""
    obj: Json = {"type": type}
    if parameters is not None:
        obj["parameters"] = dict(parameters)
    return obj


def branch_rules(
    *rules: Json,
    ruleset_id: int = 42,
    ruleset_source: str = REPO,
    ruleset_source_type: str = "Repository",
) -> list[Json]:
    """GET /repos/{owner}/{repo}/rules/branches/{branch}: the rules in force, each naming its
    ruleset. Rules that already carry a ruleset_id keep it, so two rulesets can be combined:
    `branch_rules(a, ruleset_id=1) + branch_rules(b, ruleset_id=2)`."""
    out = []
    for r in rules:
        item = copy.deepcopy(dict(r))
        item.setdefault("ruleset_source_type", ruleset_source_type)
        item.setdefault("ruleset_source", ruleset_source)
        item.setdefault("ruleset_id", ruleset_id)
        out.append(item)
    return out


def bypass_actor(actor_type: str = "RepositoryRole", actor_id: int | None = 5,
                 bypass_mode: str = "always") -> Json:
    """A ruleset bypass actor. Types: Integration, OrganizationAdmin, RepositoryRole (5 = admin),
    Team, DeployKey, User; modes: always, pull_request, exempt."""
    return {"actor_id": actor_id, "actor_type": actor_type, "bypass_mode": bypass_mode}


def ruleset(
    id: int = 42,
    name: str = "protect main",
    enforcement: str = "active",
    bypass_actors: Sequence[Json] = (),
    conditions: Mapping[str, Any] | None = None,
    rules: Sequence[Json] = (),
    *,
    summary: bool = False,
    target: str = "branch",
    source_type: str = "Repository",
    full_name: str = REPO,
) -> Json:
    """GET /rulesets/{ruleset_id}; with `summary=True`, an item of GET /rulesets (which omits
    bypass_actors, conditions and rules). `enforcement`: active, evaluate or disabled.

    `conditions` defaults to the default branch: {"ref_name": {"include": ["~DEFAULT_BRANCH"]}}.
    """
    obj: Json = _to_repo(_example("/repos/{owner}/{repo}/rulesets/{ruleset_id}"), full_name)
    obj = _retarget(obj, {"/rulesets/42": f"/rulesets/{id}", "/rules/42": f"/rules/{id}"})
    obj.update(
        id=id,
        name=name,
        target=target,
        source_type=source_type,
        source=full_name if source_type == "Repository" else full_name.split("/", 1)[0],
        enforcement=enforcement,
        node_id=node_id("RepositoryRuleset", id),
        current_user_can_bypass="never",
        bypass_actors=[dict(a) for a in bypass_actors],
        conditions=dict(conditions) if conditions is not None
        else {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
        rules=[copy.deepcopy(dict(r)) for r in rules],
    )
    if summary:
        for key in ("bypass_actors", "conditions", "rules", "current_user_can_bypass"):
            obj.pop(key, None)
    return obj


# -- checks, secrets, environments, Actions settings --------------------------------------------------------

def check_run(
    name: str = "test",
    status: str = "completed",
    conclusion: str | None = "success",
    *,
    head_sha: str = "a" * 40,
    id: int | None = None,
    app_slug: str = "github-actions",
    started_at: str | datetime = WHEN,
    completed_at: str | datetime | None = WHEN,
    full_name: str = REPO,
) -> Json:
    """A check run; `conclusion`/`completed_at` are null while it is queued or in progress."""
    obj: Json = _to_repo(_first("/repos/{owner}/{repo}/commits/{ref}/check-runs", "check_runs"), full_name)
    number = stable_id(f"{head_sha}:{name}") if id is None else id
    obj.update(
        id=number,
        node_id=node_id("CheckRun", number),
        name=name,
        head_sha=head_sha,
        status=status,
        conclusion=conclusion if status == "completed" else None,
        started_at=timestamp(started_at),
        completed_at=timestamp(completed_at) if completed_at and status == "completed" else None,
        url=f"{API}/repos/{full_name}/check-runs/{number}",
        html_url=f"{WEB}/{full_name}/runs/{number}",
        details_url=f"{WEB}/{full_name}/runs/{number}",
        pull_requests=[],
    )
    # The GitHub Actions app belongs to the "github" organization.
    obj["app"]["owner"] = _org("github")
    obj["app"]["slug"] = app_slug
    obj["app"]["name"] = "GitHub Actions" if app_slug == "github-actions" else app_slug
    return obj


def check_runs(*runs: Json) -> Json:
    """GET /commits/{ref}/check-runs: {"total_count", "check_runs"}."""
    return _wrap("check_runs", runs)


def actions_secret(
    name: str, created_at: str | datetime = WHEN, updated_at: str | datetime | None = None
) -> Json:
    """A secret's metadata (GitHub never returns values); `updated_at` defaults to `created_at`."""
    return {
        "name": name,
        "created_at": timestamp(created_at),
        "updated_at": timestamp(updated_at or created_at),
    }


def actions_secrets(*secrets: Json) -> Json:
    """GET /actions/secrets and /environments/{name}/secrets: {"total_count", "secrets"}."""
    return _wrap("secrets", secrets)


def environment(
    name: str = "production",
    reviewers: Sequence[UserRef] = (),
    prevent_self_review: bool = False,
    deployment_branch_policy: Mapping[str, bool] | None = None,
    *,
    wait_timer: int | None = None,
    full_name: str = REPO,
) -> Json:
    """GET /environments/{name}. `reviewers`: logins (or user objects) of required reviewers;
    none means no required_reviewers rule. `deployment_branch_policy` is e.g.
    {"protected_branches": True, "custom_branch_policies": False}; None means any branch (null)."""
    obj: Json = _to_repo(_example("/repos/{owner}/{repo}/environments/{environment_name}"), full_name)
    obj = _retarget(obj, {"=staging": f"={name}", "/environments/staging": f"/environments/{name}"})
    number = stable_id(f"{full_name}:env:{name}")
    rules: list[Json] = []
    if wait_timer is not None:
        rules.append({"id": number + 1, "node_id": node_id("Gate", number + 1), "type": "wait_timer",
                      "wait_timer": wait_timer})
    if reviewers:
        rules.append({
            "id": number + 2,
            "node_id": node_id("Gate", number + 2),
            "prevent_self_review": prevent_self_review,
            "type": "required_reviewers",
            "reviewers": [{"type": "User", "reviewer": _user(r)} for r in reviewers],
        })
    if deployment_branch_policy is not None:
        rules.append({"id": number + 3, "node_id": node_id("Gate", number + 3), "type": "branch_policy"})
    obj.update(
        id=number,
        node_id=node_id("Environment", number),
        name=name,
        protection_rules=rules,
        deployment_branch_policy=dict(deployment_branch_policy) if deployment_branch_policy else None,
    )
    return obj


def environments(*envs: Json) -> Json:
    """GET /environments: {"total_count", "environments"}."""
    return _wrap("environments", envs)


def workflow_permissions(default_workflow_permissions: str = "read",
                         can_approve_pull_request_reviews: bool = False) -> Json:
    """GET /actions/permissions/workflow (both fields are required)."""
    return {
        "default_workflow_permissions": default_workflow_permissions,
        "can_approve_pull_request_reviews": can_approve_pull_request_reviews,
    }


def artifact_log_retention(days: int = 90, maximum_allowed_days: int = 90) -> Json:
    """GET /actions/permissions/artifact-and-log-retention (both fields are required)."""
    return {"days": days, "maximum_allowed_days": maximum_allowed_days}


def oidc_sub(use_default: bool = True, include_claim_keys: Sequence[str] | None = None) -> Json:
    """GET /actions/oidc/customization/sub; `include_claim_keys` only when customised."""
    obj: Json = {"use_default": use_default}
    if include_claim_keys is not None:
        obj["include_claim_keys"] = list(include_claim_keys)
    return obj


def workflow_run(
    id: int = 1001,
    head_sha: str = "a" * 40,
    head_branch: str | None = "main",
    event: str = "push",
    status: str = "completed",
    conclusion: str | None = "success",
    created_at: str | datetime = WHEN,
    *,
    name: str = "CI",
    path: str = ".github/workflows/ci.yml",
    run_attempt: int = 1,
    actor: UserRef = "alice",
    full_name: str = REPO,
) -> Json:
    """A workflow run (GET /actions/runs/{run_id}, items of GET /actions/runs)."""
    obj: Json = _to_repo(_example("/repos/{owner}/{repo}/actions/runs/{run_id}"), full_name)
    obj = _retarget(obj, {"30433642": str(id)})
    when = timestamp(created_at)
    runner = _user(actor)
    obj.update(
        id=id,
        node_id=node_id("WorkflowRun", id),
        name=name,
        display_title=name,
        path=path,
        head_sha=head_sha,
        head_branch=head_branch,
        event=event,
        status=status,
        conclusion=conclusion if status == "completed" else None,
        created_at=when,
        updated_at=when,
        run_started_at=when,
        run_attempt=run_attempt,
        run_number=id % 10_000,
        actor=runner,
        triggering_actor=runner,
        referenced_workflows=[],
        pull_requests=[],
    )
    obj["head_commit"].update(id=head_sha, tree_id=head_sha, timestamp=when, message=name,
                              author={"name": "Alice Author", "email": "alice@example.com"},
                              committer={"name": "GitHub", "email": "noreply@github.com"})
    if run_attempt == 1:
        obj.pop("previous_attempt_url", None)
    owner = _org(full_name.split("/", 1)[0])
    for key in ("repository", "head_repository"):
        obj[key].update(full_name=full_name, name=full_name.split("/", 1)[1], owner=owner)
    return obj


def workflow_runs(*runs: Json) -> Json:
    """GET /actions/runs: {"total_count", "workflow_runs"}."""
    return _wrap("workflow_runs", runs)


def job(
    id: int = 5001,
    run_id: int = 1001,
    name: str = "test",
    status: str = "completed",
    conclusion: str | None = "success",
    *,
    head_sha: str = "a" * 40,
    head_branch: str = "main",
    workflow_name: str = "CI",
    started_at: str | datetime = WHEN,
    completed_at: str | datetime | None = WHEN,
    steps: Sequence[Json] | None = None,
    full_name: str = REPO,
) -> Json:
    """A job of a workflow run (items of GET /actions/runs/{run_id}/jobs)."""
    obj: Json = _to_repo(_first("/repos/{owner}/{repo}/actions/runs/{run_id}/jobs", "jobs"), full_name)
    obj = _retarget(obj, {"399444496": str(id), "29679449": str(run_id)})
    done = status == "completed"
    obj.update(
        id=id,
        run_id=run_id,
        node_id=node_id("WorkflowJob", id),
        name=name,
        status=status,
        conclusion=conclusion if done else None,
        head_sha=head_sha,
        head_branch=head_branch,
        workflow_name=workflow_name,
        # Required by the schema, missing from GitHub's example.
        created_at=timestamp(started_at),
        started_at=timestamp(started_at),
        completed_at=timestamp(completed_at) if completed_at and done else None,
        labels=["ubuntu-latest"],
        runner_id=1,
        runner_name="GitHub Actions 1",
        runner_group_id=0,
        runner_group_name="GitHub Actions",
    )
    if steps is not None:
        obj["steps"] = [dict(s) for s in steps]
    return obj


def jobs(*items: Json) -> Json:
    """GET /actions/runs/{run_id}/jobs: {"total_count", "jobs"}."""
    return _wrap("jobs", items)


def workflow_logs_redirect(fake_url: str) -> dict[str, str]:
    """Headers of the 302 GET /actions/runs/{run_id}/logs answers with (Location of the archive)."""
    return {"Location": fake_url}


def now() -> str:
    """The current time in GitHub's form, for tests about ages (secret rotation, retention)."""
    return timestamp(datetime.now(UTC))


def branch(name: str = "main", protected: bool = True, full_name: str = REPO) -> Json:
    """GET /repos/{owner}/{repo}/branches/{branch} (branch-with-protection)."""
    obj: Json = _to_repo(_example("/repos/{owner}/{repo}/branches/{branch}"), full_name)
    obj["name"] = name
    obj["protected"] = protected
    return obj
