"""A local HTTP server that answers like GitLab's REST API (v4), for tests that must not touch
the network.

The fake serves one project from a `GitLabProject` a test fills with replies built by the
functions below. Each builder copies the field names and types of the example response in
GitLab's documentation (the page is named above it), so the collector is tested against the
shapes GitLab publishes, not shapes we made up.

    project = GitLabProject("acme/shop", project=project_reply(42, "acme/shop"))
    project.protected_branches["main"] = protected_branch(1, "main")
    with FakeGitLab(project, token="glpat-test") as gitlab:
        client = ApiClient(gitlab.base_url, "glpat-test", auth_header=("PRIVATE-TOKEN", "{token}"))

Lists are paginated the way GitLab does it (`page`/`per_page`, default 20, at most
`max_per_page`) with X-Page, X-Per-Page, X-Total, X-Total-Pages, X-Next-Page and X-Prev-Page
headers, and a Link header unless `link_header=False` (then only X-Next-Page says there is more).
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

PREFIX = "/api/v4"
DEFAULT_PER_PAGE = 20
JSON_TYPE = "application/json"

Answer = tuple[int, Any, dict[str, str], str]
"""(status, body, extra headers, content type) of one reply."""
WEB = "https://gitlab.example.com"


# -- builders: one per documented reply ------------------------------------------------------------


def user(user_id: int, username: str, name: str | None = None) -> dict[str, Any]:
    # The UserBasic entity every reply embeds (author, merge_user, approved_by[].user).
    # https://docs.gitlab.com/api/merge_requests/ (example responses)
    return {"id": user_id, "username": username, "name": name or username.title(), "state": "active",
            "avatar_url": f"https://www.gravatar.com/avatar/{user_id}?s=80&d=identicon",
            "web_url": f"{WEB}/{username}"}


def project_reply(project_id: int, path: str, *, default_branch: str = "main",
                  visibility: str = "private", **extra: Any) -> dict[str, Any]:
    # https://docs.gitlab.com/api/projects/#get-a-single-project
    namespace, _, name = path.rpartition("/")
    return {"id": project_id, "description": None, "name": name,
            "name_with_namespace": path.replace("/", " / "), "path": name,
            "path_with_namespace": path, "created_at": "2025-01-10T09:00:00.000Z",
            "default_branch": default_branch, "visibility": visibility,
            "ssh_url_to_repo": f"git@gitlab.example.com:{path}.git",
            "http_url_to_repo": f"{WEB}/{path}.git", "web_url": f"{WEB}/{path}",
            "namespace": {"id": 7, "name": namespace, "path": namespace.rsplit("/", 1)[-1],
                          "kind": "group", "full_path": namespace},
            "only_allow_merge_if_pipeline_succeeds": True, "merge_method": "merge",
            "allow_pipeline_trigger_approve_deployment": False, **extra}


def access_level(level_id: int, level: int, description: str, *, user_id: int | None = None,
                 group_id: int | None = None) -> dict[str, Any]:
    # https://docs.gitlab.com/api/protected_branches/ (push_access_levels, merge_access_levels)
    return {"id": level_id, "access_level": level, "access_level_description": description,
            "user_id": user_id, "group_id": group_id}


def protected_branch(branch_id: int, name: str, *, push: list[dict[str, Any]] | None = None,
                     merge: list[dict[str, Any]] | None = None, allow_force_push: bool = False,
                     code_owner_approval_required: bool = False) -> dict[str, Any]:
    # https://docs.gitlab.com/api/protected_branches/#get-a-single-protected-branch-or-wildcard-protected-branch
    return {"id": branch_id, "name": name,
            "push_access_levels": push if push is not None else [access_level(1, 40, "Maintainers")],
            "merge_access_levels": merge if merge is not None else [access_level(2, 40, "Maintainers")],
            "allow_force_push": allow_force_push,
            "unprotect_access_levels": [access_level(3, 40, "Maintainers")],
            "code_owner_approval_required": code_owner_approval_required, "inherited": False}


def approval_setting(*, allow_author_approval: bool = False, allow_committer_approval: bool = False,
                     retain_approvals_on_push: bool = False) -> dict[str, Any]:
    # https://docs.gitlab.com/17.9/api/merge_request_approval_settings (project MR approval settings)
    def item(value: bool) -> dict[str, Any]:
        return {"value": value, "locked": False, "inherited_from": None}

    return {"allow_author_approval": item(allow_author_approval),
            "allow_committer_approval": item(allow_committer_approval),
            "allow_overrides_to_approver_list_per_merge_request": item(True),
            "retain_approvals_on_push": item(retain_approvals_on_push),
            "selective_code_owner_removals": item(False),
            "require_password_to_approve": item(False),
            "require_reauthentication_to_approve": item(False)}


def legacy_approvals(*, author_approval: bool, disable_committers: bool, reset_on_push: bool,
                     approvals_before_merge: int = 0) -> dict[str, Any]:
    # https://docs.gitlab.com/api/merge_request_approvals.html#get-configuration (project level)
    return {"approvers": [], "approver_groups": [], "approvals_before_merge": approvals_before_merge,
            "reset_approvals_on_push": reset_on_push, "selective_code_owner_removals": False,
            "disable_overriding_approvers_per_merge_request": False,
            "merge_requests_author_approval": author_approval,
            "merge_requests_disable_committers_approval": disable_committers,
            "require_password_to_approve": False}


def approval_rule(rule_id: int, name: str, approvals_required: int, *,
                  protected_branches: list[dict[str, Any]] | None = None, rule_type: str = "regular",
                  applies_to_all_protected_branches: bool = False,
                  users: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    # https://docs.gitlab.com/api/merge_request_approvals.html#get-project-level-rules
    return {"id": rule_id, "name": name, "rule_type": rule_type, "eligible_approvers": users or [],
            "approvals_required": approvals_required, "users": users or [], "groups": [],
            "applies_to_all_protected_branches": applies_to_all_protected_branches,
            "protected_branches": protected_branches or [], "contains_hidden_groups": False}


def merge_request(iid: int, *, author: dict[str, Any], title: str, source_branch: str,
                  sha: str, merge_commit_sha: str | None, merged_by: dict[str, Any] | None,
                  merged_at: str | None, target_branch: str = "main", state: str = "merged",
                  labels: list[str] | None = None, description: str = "",
                  squash_commit_sha: str | None = None, project_id: int = 42,
                  path: str = "acme/platform/shop") -> dict[str, Any]:
    # https://docs.gitlab.com/api/merge_requests/#get-single-mr (merged_by is deprecated in
    # favour of merge_user; GitLab still sends both)
    return {"id": 1000 + iid, "iid": iid, "project_id": project_id, "title": title,
            "description": description, "state": state, "created_at": "2026-10-30T08:00:00.000Z",
            "updated_at": merged_at or "2026-10-30T08:00:00.000Z", "merged_by": merged_by,
            "merge_user": merged_by, "merged_at": merged_at, "closed_by": None, "closed_at": None,
            "target_branch": target_branch, "source_branch": source_branch, "upvotes": 0,
            "downvotes": 0, "author": author, "assignees": [], "reviewers": [],
            "source_project_id": project_id, "target_project_id": project_id, "labels": labels or [],
            "draft": False, "work_in_progress": False, "milestone": None,
            "merge_when_pipeline_succeeds": False, "merge_status": "can_be_merged",
            "detailed_merge_status": "not_open" if state == "merged" else "mergeable",
            "sha": sha, "merge_commit_sha": merge_commit_sha, "squash_commit_sha": squash_commit_sha,
            "user_notes_count": 0, "should_remove_source_branch": True, "force_remove_source_branch": True,
            "squash": squash_commit_sha is not None, "web_url": f"{WEB}/{path}/-/merge_requests/{iid}",
            "references": {"short": f"!{iid}", "relative": f"!{iid}", "full": f"{path}!{iid}"},
            "diff_refs": {"base_sha": "b" * 40, "head_sha": sha, "start_sha": "b" * 40}}


def commit(sha: str, *, author_email: str, committer_email: str | None = None,
           message: str = "Change", parents: list[str] | None = None) -> dict[str, Any]:
    # https://docs.gitlab.com/api/merge_requests/#get-single-merge-request-commits
    return {"id": sha, "short_id": sha[:8], "title": message.splitlines()[0], "message": message,
            "author_name": author_email.split("@")[0].title(), "author_email": author_email,
            "authored_date": "2026-10-30T07:00:00.000Z",
            "committer_name": (committer_email or author_email).split("@")[0].title(),
            "committer_email": committer_email or author_email,
            "committed_date": "2026-10-30T07:00:00.000Z", "created_at": "2026-10-30T07:00:00.000Z",
            "parent_ids": parents or [], "web_url": f"{WEB}/-/commit/{sha}"}


def mr_approvals(iid: int, approvers: list[dict[str, Any]], *, approvals_required: int = 1) -> dict[str, Any]:
    # https://docs.gitlab.com/api/merge_request_approvals.html (merge request-level: Get Configuration)
    return {"id": 1000 + iid, "iid": iid, "project_id": 42, "title": "Approvals API", "description": "",
            "state": "merged", "created_at": "2026-10-30T08:00:00.000Z",
            "updated_at": "2026-10-30T09:00:00.000Z", "merge_status": "can_be_merged",
            "approvals_required": approvals_required,
            "approvals_left": max(approvals_required - len(approvers), 0),
            "approved_by": [{"user": who} for who in approvers]}


def commit_status(status_id: int, name: str, status: str, sha: str, *, allow_failure: bool = False,
                  ref: str = "main") -> dict[str, Any]:
    # https://docs.gitlab.com/api/commits/#list-the-statuses-of-a-commit
    return {"id": status_id, "sha": sha, "ref": ref, "status": status, "name": name,
            "target_url": f"{WEB}/-/jobs/{status_id}", "description": None,
            "created_at": "2026-10-30T09:05:00.000Z", "started_at": "2026-10-30T09:05:10.000Z",
            "finished_at": "2026-10-30T09:06:00.000Z", "allow_failure": allow_failure,
            "coverage": None, "author": user(1, "root", "Administrator")}


def variable(key: str, value: str, *, protected: bool = False, masked: bool = False,
             environment_scope: str = "*") -> dict[str, Any]:
    # https://docs.gitlab.com/api/project_level_variables/#list-project-variables
    return {"variable_type": "env_var", "key": key, "value": value, "protected": protected,
            "masked": masked, "hidden": False, "raw": False, "environment_scope": environment_scope,
            "description": None}


def protected_environment(name: str, *, deploy_access_levels: list[dict[str, Any]] | None = None,
                          required_approval_count: int = 0,
                          approval_rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    # https://docs.gitlab.com/api/protected_environments (list protected environments)
    return {"name": name,
            "deploy_access_levels": deploy_access_levels or [
                {"id": 12, "access_level": 40, "access_level_description": "Maintainers", "user_id": None,
                 "group_id": None, "group_inheritance_type": 0}],
            "required_approval_count": required_approval_count, "approval_rules": approval_rules or []}


def environment_approval_rule(rule_id: int, description: str, *, access_level: int | None = 40,
                              user_id: int | None = None, required_approvals: int = 1) -> dict[str, Any]:
    # https://docs.gitlab.com/api/protected_environments (approval_rules entries)
    return {"id": rule_id, "user_id": user_id, "group_id": None, "access_level": access_level,
            "access_level_description": description, "required_approvals": required_approvals,
            "group_inheritance_type": 0}


def pipeline(pipeline_id: int, *, status: str, ref: str = "main", sha: str = "a" * 40,
             source: str = "push", created_at: str = "2026-10-30T09:00:00.000Z",
             path: str = "acme/platform/shop") -> dict[str, Any]:
    # https://docs.gitlab.com/api/pipelines/#list-project-pipelines
    return {"id": pipeline_id, "iid": pipeline_id - 800, "project_id": 42, "status": status,
            "source": source, "ref": ref, "sha": sha, "name": None,
            "web_url": f"{WEB}/{path}/-/pipelines/{pipeline_id}", "created_at": created_at,
            "updated_at": created_at}


def job(job_id: int, name: str, *, stage: str, status: str, pipeline_id: int,
        allow_failure: bool = False, sha: str = "a" * 40) -> dict[str, Any]:
    # https://docs.gitlab.com/api/jobs/#list-pipeline-jobs
    ran = status not in ("created", "pending", "manual", "skipped")
    return {"id": job_id, "status": status, "stage": stage, "name": name, "ref": "main", "tag": False,
            "coverage": None, "allow_failure": allow_failure, "created_at": "2026-11-02T11:50:00.000Z",
            "started_at": "2026-11-02T11:51:00.000Z" if ran else None,
            "finished_at": "2026-11-02T11:55:00.000Z" if ran and status != "running" else None,
            "erased_at": None, "duration": 240.0 if ran else None, "queued_duration": 1.5,
            "user": user(1, "root", "Administrator"),
            "commit": {"id": sha, "short_id": sha[:8], "title": "Change",
                       "author_email": "alice@example.com"},
            "pipeline": {"id": pipeline_id, "project_id": 42, "ref": "main", "sha": sha, "status": "running"},
            "web_url": f"{WEB}/-/jobs/{job_id}", "artifacts": [], "runner": None,
            "artifacts_expire_at": None, "tag_list": [], "failure_reason": None if status != "failed" else
            "script_failure"}


def security_settings(*, push_protection: bool) -> dict[str, Any]:
    # https://docs.gitlab.com/api/project_security_settings (list project security settings)
    return {"project_id": 42, "created_at": "2024-08-27T15:30:33.075Z",
            "updated_at": "2024-10-16T05:09:22.233Z", "auto_fix_container_scanning": True,
            "auto_fix_dast": True, "auto_fix_dependency_scanning": True, "auto_fix_sast": True,
            "continuous_vulnerability_scans_enabled": True,
            "container_scanning_for_registry_enabled": False,
            "secret_push_protection_enabled": push_protection}


# -- the project the fake serves ------------------------------------------------------------------


@dataclass
class GitLabProject:
    """What the fake knows about its one project. A `None` reply is served as GitLab's 404."""

    path: str
    project: dict[str, Any]
    protected_branches: dict[str, dict[str, Any]] = field(default_factory=dict)
    approval_setting: dict[str, Any] | None = None
    legacy_approvals: dict[str, Any] | None = None
    approval_rules: list[dict[str, Any]] = field(default_factory=list)
    merge_requests: dict[int, dict[str, Any]] = field(default_factory=dict)
    mr_commits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    mr_approvals: dict[int, dict[str, Any]] = field(default_factory=dict)
    commit_merge_requests: dict[str, list[int]] = field(default_factory=dict)
    """Commit → iids of the merge requests GitLab associates with it, in reply order."""
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    variables: list[dict[str, Any]] = field(default_factory=list)
    protected_environments: list[dict[str, Any]] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    traces: dict[int, str] = field(default_factory=dict)
    security_settings: dict[str, Any] | None = None
    refuse: dict[str, int] = field(default_factory=dict)
    """Path suffix after the project (e.g. `/variables`) → status to refuse it with (403...)."""


@dataclass
class Request:
    """One request the fake received; `path` is unquoted and relative to /api/v4."""

    path: str
    raw_path: str
    query: dict[str, str]
    headers: dict[str, str]


# GitLab's error bodies: {"message": "<status> <reason>"}.
# https://docs.gitlab.com/api/rest/troubleshooting/#status-codes
_ERRORS = {401: "401 Unauthorized", 403: "403 Forbidden", 404: "404 Not found"}


class FakeGitLab:
    """A threaded HTTP server on 127.0.0.1 serving `project` under /api/v4."""

    def __init__(self, project: GitLabProject, *, token: str, max_per_page: int = 100,
                 link_header: bool = True) -> None:
        self.project = project
        self.token = token
        self.max_per_page = max_per_page
        self.link_header = link_header
        self.requests: list[Request] = []
        self.served: list[bytes] = []
        """Every body sent, so a test can show a value it looks for was really served."""
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-gitlab", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT/api/v4, what CI_API_V4_URL holds."""
        if self._server is None:
            raise RuntimeError("FakeGitLab is not running: use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"

    def calls(self, pattern: str) -> list[Request]:
        """The requests whose path (relative to /api/v4, unquoted) fully matches `pattern`."""
        return [r for r in self.requests if re.fullmatch(pattern, r.path)]

    # -- answering --------------------------------------------------------------------------

    def answer(self, raw_path: str, headers: dict[str, str]) -> Answer:
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        path = unquote(parts.path)
        with self._lock:
            self.requests.append(Request(path.removeprefix(PREFIX), parts.path, query, headers))
        if headers.get("private-token") != self.token:
            return _error(401)
        encoded = quote(self.project.path, safe="")
        project_prefix = f"{PREFIX}/projects/{encoded}"
        if not (parts.path == project_prefix or parts.path.startswith(project_prefix + "/")):
            return _error(404)  # GitLab addresses a project by its id or its URL-encoded path
        rest = unquote(parts.path[len(project_prefix):])
        for suffix, status in self.project.refuse.items():
            if rest == suffix or re.fullmatch(suffix, rest):
                return _error(status)
        for pattern, handler in self._routes(parts.path):
            match = re.fullmatch(pattern, rest)
            if match:
                return handler(match, query)
        return _error(404)

    def _routes(self, raw: str) -> list[tuple[str, Callable[[re.Match[str], dict[str, str]], Answer]]]:
        p = self.project

        def page(items: list[Any], query: dict[str, str]) -> Answer:
            return self._page(items, query, raw)

        return [
            ("", lambda m, q: _one(p.project)),
            ("/protected_branches", lambda m, q: page(list(p.protected_branches.values()), q)),
            ("/protected_branches/(?P<name>.+)", lambda m, q: _one(p.protected_branches.get(m["name"]))),
            ("/merge_request_approval_setting", lambda m, q: _one(p.approval_setting)),
            ("/approvals", lambda m, q: _one(p.legacy_approvals)),
            ("/approval_rules", lambda m, q: page(p.approval_rules, q)),
            ("/repository/commits/(?P<sha>[0-9a-f]+)/merge_requests",
             lambda m, q: page([p.merge_requests[i] for i in p.commit_merge_requests.get(m["sha"], [])], q)),
            ("/repository/commits/(?P<sha>[0-9a-f]+)/statuses",
             lambda m, q: page(p.statuses.get(m["sha"], []), q)),
            ("/merge_requests/(?P<iid>[0-9]+)", lambda m, q: _one(p.merge_requests.get(int(m["iid"])))),
            ("/merge_requests/(?P<iid>[0-9]+)/commits",
             lambda m, q: page(p.mr_commits.get(int(m["iid"]), []), q)),
            ("/merge_requests/(?P<iid>[0-9]+)/approvals",
             lambda m, q: _one(p.mr_approvals.get(int(m["iid"])))),
            ("/variables", lambda m, q: page(p.variables, q)),
            ("/protected_environments", lambda m, q: page(p.protected_environments, q)),
            ("/pipelines", lambda m, q: page(self._pipelines(q), q)),
            ("/pipelines/(?P<id>[0-9]+)/jobs", lambda m, q: page(p.jobs.get(int(m["id"]), []), q)),
            ("/jobs/(?P<id>[0-9]+)/trace", lambda m, q: self._trace(int(m["id"]))),
            ("/security_settings", lambda m, q: _one(p.security_settings)),
        ]

    def _pipelines(self, query: dict[str, str]) -> list[dict[str, Any]]:
        # `ref` and `updated_after` filter as GitLab does; newest first (order_by=id, sort=desc).
        runs = [r for r in self.project.pipelines if "ref" not in query or r["ref"] == query["ref"]]
        if "updated_after" in query:
            runs = [r for r in runs if r["updated_at"] > query["updated_after"]]
        return sorted(runs, key=lambda r: -int(r["id"]))

    def _trace(self, job_id: int) -> Answer:
        if job_id not in self.project.traces:
            return _error(404)
        # https://docs.gitlab.com/api/jobs/#get-a-log-file: the raw log as text/plain
        return 200, self.project.traces[job_id], {}, "text/plain; charset=utf-8"

    def _page(self, items: list[Any], query: dict[str, str], raw: str) -> Answer:
        # https://docs.gitlab.com/api/rest/#offset-based-pagination
        per_page = min(int(query.get("per_page") or DEFAULT_PER_PAGE), self.max_per_page)
        page = max(int(query.get("page") or 1), 1)
        pages = max((len(items) + per_page - 1) // per_page, 1)
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items)),
                   "X-Total-Pages": str(pages), "X-Next-Page": str(page + 1) if page < pages else "",
                   "X-Prev-Page": str(page - 1) if page > 1 else ""}
        if self.link_header:
            links = []
            if page < pages:
                links.append(f'<{self._page_url(raw, query, page + 1)}>; rel="next"')
            links.append(f'<{self._page_url(raw, query, 1)}>; rel="first"')
            links.append(f'<{self._page_url(raw, query, pages)}>; rel="last"')
            headers["Link"] = ", ".join(links)
        return 200, items[(page - 1) * per_page: page * per_page], headers, JSON_TYPE

    def _page_url(self, raw: str, query: dict[str, str], page: int) -> str:
        return f"{self.base_url.removesuffix(PREFIX)}{raw}?{urlencode({**query, 'page': page})}"


def _one(body: dict[str, Any] | None) -> Answer:
    return (200, body, {}, JSON_TYPE) if body is not None else _error(404)


def _error(status: int) -> Answer:
    return status, {"message": _ERRORS.get(status, str(status))}, {}, JSON_TYPE


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeGitLab


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm each keep-alive
    # reply would wait for the client's delayed ACK (tens of milliseconds).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, body, extra, content_type = self.server.fake.answer(self.path, headers)
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.server.fake.served.append(data)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet
