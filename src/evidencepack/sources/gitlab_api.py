"""Reading a project's settings and review history through GitLab's REST API (v4).

Every area is read on its own: a reply the token is not allowed to have becomes an
`Unavailable` naming the token scope and project role it needs, and the rest is still
collected. Every reply used as evidence is kept (`evidence/platform/gitlab/api.json`) so an
auditor can re-check it, except the values of CI/CD variables, which are removed from the
recorded replies before anything is written.

GitLab's CI_JOB_TOKEN can read none of the endpoints used here (it is limited to a short
list of APIs such as deployments, environments, releases and `GET /job`): the collector
needs a personal, project or group access token with the `read_api` scope.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from ..pack.archive import deterministic_tar_gz
from ..scanners.redaction import redact
from .area_reads import AreaReads
from .http import ApiClient, ApiUnavailable
from .platform import (
    BranchRules,
    Change,
    Check,
    CollectRequest,
    DeployEnvironment,
    LocalCommit,
    PipelineRun,
    PlatformCollection,
    PlatformEvidence,
    Review,
    StoredSecret,
    Unavailable,
)

__all__ = ["API_EVIDENCE", "PERMISSIONS", "collect_gitlab", "gitlab_client"]

EVIDENCE_DIR = "evidence/platform/gitlab"
API_EVIDENCE = f"{EVIDENCE_DIR}/api.json"
MAX_MERGE_REQUESTS = 300
"""A deploy range bringing in more merge requests than this is not read (the pack says why)."""
MAX_RUN_PAGES = 10
"""Pages (of 100) of production pipelines read for the monitoring window."""
REDACTED = "[redacted]"
MIN_SCRUBBED_VALUE = 6
"""Variable values at least this long are removed from archived job logs; shorter ones
(`true`, `1`, `prod`) would blank out ordinary words and are not secrets anyway (GitLab
itself refuses to mask values shorter than 8 characters)."""

_NOT_JOB_TOKEN = "a personal, project or group access token; CI_JOB_TOKEN cannot read it"

# The token scope and project role each area needs; shown when a call is refused.
PERMISSIONS = {
    "project": f"read_api scope, Guest role ({_NOT_JOB_TOKEN})",
    "protected branches": f"read_api scope, Maintainer role ({_NOT_JOB_TOKEN})",
    "approval settings": f"read_api scope, Maintainer role, GitLab Premium ({_NOT_JOB_TOKEN})",
    "approval rules": f"read_api scope, Developer role, GitLab Premium ({_NOT_JOB_TOKEN})",
    "merge requests": f"read_api scope, Reporter role ({_NOT_JOB_TOKEN})",
    "commit statuses": f"read_api scope, Reporter role ({_NOT_JOB_TOKEN})",
    "variables": f"read_api scope, Maintainer role ({_NOT_JOB_TOKEN})",
    "protected environments": f"read_api scope, Maintainer role, GitLab Premium ({_NOT_JOB_TOKEN})",
    "pipelines": f"read_api scope, Reporter role ({_NOT_JOB_TOKEN})",
    "job logs": f"read_api scope, Reporter role ({_NOT_JOB_TOKEN})",
    "security settings": f"read_api scope, Developer role, GitLab Ultimate ({_NOT_JOB_TOKEN})",
    "log retention": "administrator access (instance settings)",
}

# GitLab's pipeline and job states, in the vocabulary the controls share with GitHub:
# a finished run is `completed` with a conclusion; anything else keeps GitLab's own state.
_CONCLUSIONS = {"success": "success", "failed": "failure", "canceled": "cancelled",
                "skipped": "skipped"}
# Jobs in these states never ran, so they have no log to archive.
_NO_LOG_STATES = frozenset({"created", "pending", "manual", "skipped", "scheduled",
                            "waiting_for_resource", "preparing"})
# The job names GitLab's Secret-Detection CI template defines (Jobs/Secret-Detection.gitlab-ci.yml).
_SECRET_DETECTION_JOB = re.compile(r"^secret[_-]detection")
_CO_AUTHOR = re.compile(r"^co-authored-by:\s*.+?<([^>]+)>\s*$", re.IGNORECASE | re.MULTILINE)
# Project and group access tokens act as users named `project_<id>_bot_<suffix>` and
# `group_<id>_bot_<suffix>`; other automation accounts conventionally end in _bot or -bot.
_BOT_NAME = re.compile(r"(?:^(?:project|group)_\d+_bot(?:_|$))|(?:[_-]bot$)", re.IGNORECASE)
_VARIABLES_PATH = re.compile(r"/projects/[^/]+/variables(?:/|$)")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")



def gitlab_client(api_url: str, token: str | None, *, job_token: bool = False,
                  **options: Any) -> ApiClient:
    """An API client sending `token` as GitLab expects: PRIVATE-TOKEN, or JOB-TOKEN for
    CI_JOB_TOKEN (which the API refuses for almost everything collected here)."""
    header = ("JOB-TOKEN", "{token}") if job_token else ("PRIVATE-TOKEN", "{token}")
    return ApiClient(api_url, token, auth_header=header, **options)


@dataclass
class _Collector(AreaReads):
    permissions: ClassVar[Mapping[str, str]] = PERMISSIONS
    client: ApiClient = field(kw_only=True)
    request: CollectRequest = field(kw_only=True)
    project: str = field(kw_only=True)
    """The project's URL-encoded path, e.g. `group%2Fsub%2Fproject`."""
    files: dict[str, bytes] = field(default_factory=dict)
    project_info: dict[str, Any] = field(default_factory=dict)
    project_read: bool = False
    mr_by_sha: dict[str, int | None] = field(default_factory=dict)
    """Commit → merge request iid (None: none into production), so that the commits of one
    merge request cost one lookup."""
    secret_values: set[str] = field(default_factory=set)
    """Variable values, held only to scrub them from archived job logs; never written."""
    job_names: set[str] = field(default_factory=set)

    def path(self, suffix: str = "") -> str:
        return f"/projects/{self.project}{suffix}"


def collect_gitlab(client: ApiClient, request: CollectRequest) -> PlatformCollection:
    """Everything the controls need from GitLab for the project `request.repository`."""
    c = _Collector(client=client, request=request,
                   project=quote(request.repository.strip("/"), safe=""))
    project = c.attempt("project", "project", lambda: client.get_json(c.path()))
    if isinstance(project, dict):
        c.project_info, c.project_read = project, True
    info = c.project_info
    settings = _approval_settings(c)
    rules = _approval_rules(c)
    branch_rules = _branch_rules(c, settings, rules)
    changes = _changes(c)
    secrets = _secrets(c)
    environments = _environments(c)
    runs = _runs(c)
    run_logs = _run_logs(c)
    retention = _log_retention(c)
    push_protection = _push_protection(c)
    secret_scanning = _secret_scanning(c, changes)
    evidence = PlatformEvidence(
        platform="gitlab",
        repository=request.repository,
        api_url=_api_url(client),
        default_branch=_text(info.get("default_branch")),
        visibility=_text(info.get("visibility")),
        branch_rules=branch_rules,
        change_range=(request.base, request.head),
        changes=changes,
        pipeline_must_succeed=(_bool(info.get("only_allow_merge_if_pipeline_succeeds"))
                               if c.project_read else None),
        self_approval_allowed=settings.self_approval if settings else None,
        committers_may_approve=settings.committers_approve if settings else None,
        secrets=secrets,
        secrets_have_dates=False,  # GitLab's variables API gives no creation or update time
        environments=environments,
        log_retention_days=retention,
        secret_scanning=secret_scanning,
        push_protection=push_protection,
        runs=runs,
        run_logs=run_logs,
        unavailable=tuple(c.unavailable),
    )
    # Written last, so that it holds every reply; a final sweep keeps variable values out
    # even of a reply recorded by a path this module did not expect.
    _redact_variable_values(client)
    c.files[API_EVIDENCE] = (json.dumps([e.to_json() for e in client.exchanges], indent=1,
                                        sort_keys=True, ensure_ascii=False) + "\n").encode()
    return PlatformCollection(evidence, c.files)


def _api_url(client: ApiClient) -> str:
    base = getattr(client, "base_url", None)
    if base:
        return str(base)
    for exchange in client.exchanges:
        head, sep, _ = exchange.url.partition("/projects/")
        if sep:
            return head
    return ""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- merge request approval settings and rules --------------------------------------------


@dataclass(frozen=True)
class _ApprovalSettings:
    self_approval: bool | None
    committers_approve: bool | None
    reset_on_push: bool | None
    approvals_before_merge: int | None = None
    """The deprecated project-wide count (GitLab before approval rules); None when not given."""


def _approval_settings(c: _Collector) -> _ApprovalSettings | None:
    """GitLab 15+: `merge_request_approval_setting`; older: the project-level `approvals`."""
    what = "merge request approval settings"
    try:
        current = c.client.get_json(c.path("/merge_request_approval_setting"))
    except ApiUnavailable as exc:
        if exc.status != 404:
            c.refused("approval settings", what, exc)
            return None
        legacy = c.attempt("approval settings", what, lambda: c.client.get_json(c.path("/approvals")))
        return _legacy_settings(legacy) if isinstance(legacy, dict) else None
    if not isinstance(current, dict):
        c.unavailable.append(Unavailable(what, "the reply is not a settings object"))
        return None
    retain = _setting(current, "retain_approvals_on_push")
    return _ApprovalSettings(
        self_approval=_setting(current, "allow_author_approval"),
        committers_approve=_setting(current, "allow_committer_approval"),
        reset_on_push=None if retain is None else not retain,
    )


def _setting(reply: Mapping[str, Any], name: str) -> bool | None:
    """A `{"value": true, "locked": false, "inherited_from": null}` setting (or a bare bool)."""
    item = reply.get(name)
    if isinstance(item, dict):
        item = item.get("value")
    return item if isinstance(item, bool) else None


def _legacy_settings(reply: Mapping[str, Any]) -> _ApprovalSettings:
    disable_committers = reply.get("merge_requests_disable_committers_approval")
    count = reply.get("approvals_before_merge")
    return _ApprovalSettings(
        self_approval=_bool(reply.get("merge_requests_author_approval")),
        committers_approve=(not disable_committers) if isinstance(disable_committers, bool) else None,
        reset_on_push=_bool(reply.get("reset_approvals_on_push")),
        approvals_before_merge=count if isinstance(count, int) else None,
    )


def _bool(value: Any) -> bool | None:
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"  # the documented examples sometimes quote booleans
    return value if isinstance(value, bool) else None


def _approval_rules(c: _Collector) -> list[dict[str, Any]] | None:
    found = c.attempt("approval rules", "branch approval rules (merge request approval rules)",
                      lambda: c.client.paginate(c.path("/approval_rules")))
    return None if found is None else [r for r in found if isinstance(r, dict)]


def _required_approvals(branch: str, protected: bool, rules: list[dict[str, Any]]) -> int:
    """The fewest distinct approvers the project's rules demand of a merge request into
    `branch`: one person's approval counts toward every rule, so the largest rule decides."""
    required = 0
    for rule in rules:
        if rule.get("rule_type") == "report_approver":
            continue  # applies only when a security or coverage report asks for it
        scoped = [b for b in rule.get("protected_branches") or [] if isinstance(b, dict)]
        if rule.get("applies_to_all_protected_branches"):
            applies = protected
        elif scoped:
            # Rules name protected branches only: an unprotected branch is under none of them.
            applies = protected and any(_matches(str(b.get("name") or ""), branch) for b in scoped)
        else:
            applies = True  # a rule scoped to no branch applies to every target branch
        count = rule.get("approvals_required")
        if applies and isinstance(count, int):
            required = max(required, count)
    return required


def _matches(pattern: str, branch: str) -> bool:
    """GitLab's protected-branch wildcard: `*` matches any characters, `/` included."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, branch) is not None


# -- branch rules ---------------------------------------------------------------------------


def _branch_rules(c: _Collector, settings: _ApprovalSettings | None,
                  rules: list[dict[str, Any]] | None) -> tuple[BranchRules, ...] | None:
    out: list[BranchRules] = []
    wildcards: list[dict[str, Any]] | None = None
    listed = False
    for branch in c.request.production_branches:
        what = f"branch protection of {branch}"
        try:
            reply = c.client.get(c.path(f"/protected_branches/{quote(branch, safe='')}"))
        except ApiUnavailable as exc:
            c.refused("protected branches", what, exc)
            continue
        if reply.status not in (200, 404) or (reply.status == 404 and not c.project_read) \
                or (reply.status == 200 and not isinstance(reply.body, dict)):
            # A refusal, or a 404 while the project itself could not be read (then it says
            # nothing about protection).
            message = _message(reply.body)
            reason = message if message.startswith(str(reply.status)) else f"{reply.status} {message}"
            c.unavailable.append(Unavailable(
                what, reason.strip(),
                PERMISSIONS["protected branches"] if reply.status in (401, 403, 404) else None))
            continue
        # "Not protected" (404) is an observation, but the single-branch endpoint matches names
        # exactly: wildcard rules such as `release/*` show only in the listing, and they apply
        # alongside an exact rule.
        if not listed:
            listed = True
            found = c.attempt("protected branches", "protected branches (wildcard rules)",
                              lambda: c.client.paginate(c.path("/protected_branches")))
            wildcards = None if found is None else [
                p for p in found if isinstance(p, dict) and "*" in str(p.get("name") or "")]
        if wildcards is None and reply.status == 404:
            continue  # without the listing, an unprotected-looking branch is not observed
        entries = [reply.body] if reply.status == 200 else []
        entries += [p for p in wildcards or [] if _matches(str(p.get("name")), branch)]
        out.append(_rules_of(branch, entries, settings, rules or []))
    complete = len(out) == len(c.request.production_branches)
    if rules is None and settings and settings.approvals_before_merge:
        # Without the rules, the deprecated project-wide count is the best evidence there is.
        out = [replace(r, required_approvals=settings.approvals_before_merge) for r in out]
    return tuple(out) if complete or out else None


def _rules_of(branch: str, entries: list[dict[str, Any]], settings: _ApprovalSettings | None,
              rules: list[dict[str, Any]]) -> BranchRules:
    """Merge the protected-branch entries matching `branch`: GitLab lets the most permissive
    push access and force-push setting win, and code owner approval applies if any asks."""
    protected = bool(entries)
    stale = bool(settings and settings.reset_on_push)  # project-wide, protected or not
    required = _required_approvals(branch, protected, rules)
    if not protected:
        # An unprotected branch takes pushes, force pushes and deletion from any Developer.
        return BranchRules(branch=branch, protected=False, required_approvals=required,
                           dismiss_stale_reviews=stale, allow_force_pushes=True,
                           allow_deletions=True, push_access=("Developers + Maintainers",),
                           evidence=(API_EVIDENCE,))
    push: list[str] = []
    for entry in entries:
        for level in entry.get("push_access_levels") or []:
            if isinstance(level, dict) and (who := _access_entry(level)) not in push:
                push.append(who)
    return BranchRules(
        branch=branch,
        protected=True,
        sources=("protected-branch",),
        required_approvals=required,
        dismiss_stale_reviews=stale,
        require_code_owner_review=any(_bool(e.get("code_owner_approval_required")) for e in entries),
        allow_force_pushes=any(_bool(e.get("allow_force_push")) for e in entries),
        allow_deletions=False,  # a protected branch cannot be deleted by a push
        push_access=tuple(push),
        evidence=(API_EVIDENCE,),
    )


def _access_entry(level: Mapping[str, Any]) -> str:
    """`Maintainers`, `No one`, or who a user, group or deploy key entry names."""
    description = str(level.get("access_level_description") or level.get("access_level") or "")
    for key, kind in (("user_id", "user"), ("group_id", "group"), ("deploy_key_id", "deploy key")):
        if level.get(key) is not None:
            return f"{kind} {description} (id {level[key]})".replace("  ", " ")
    return description


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or "")
    return ""


# -- changes --------------------------------------------------------------------------------


def _changes(c: _Collector) -> tuple[Change, ...] | None:
    production = set(c.request.production_branches)
    details: dict[int, Change] = {}
    order: list[tuple[LocalCommit, int | None]] = []
    for commit in c.request.commits:
        if commit.sha not in c.mr_by_sha:
            found = c.attempt("merge requests", f"merge requests of commit {commit.sha[:12]}",
                              partial(c.client.paginate,
                                      c.path(f"/repository/commits/{commit.sha}/merge_requests")))
            if found is None:
                return None
            chosen = _merge_request_for(commit.sha, [m for m in found if isinstance(m, dict)],
                                        production)
            number = chosen.get("iid") if chosen else None
            c.mr_by_sha[commit.sha] = number if isinstance(number, int) else None
        iid = c.mr_by_sha[commit.sha]
        if iid is not None and iid not in details:
            if len(details) >= MAX_MERGE_REQUESTS:
                c.unavailable.append(Unavailable(
                    "merge requests", f"more than {MAX_MERGE_REQUESTS} merge requests in the "
                    "range; they are not read, so the review of this deploy is not observed"))
                return None
            change = _merge_request_change(c, iid)
            if change is None:
                return None
            details[iid] = change
        order.append((commit, iid))
    # Co-authors named in the local commits' trailers are authors of the merge request too.
    co_authors: dict[int, set[str]] = {}
    for commit, iid in order:
        if iid is not None:
            co_authors.setdefault(iid, set()).update(commit.co_authors)
    out: list[Change] = []
    seen: set[int] = set()
    for commit, iid in order:
        if iid is None:
            out.append(Change(commit=commit.sha, request=None,
                              authors=tuple(sorted({commit.author_email, *commit.co_authors})),
                              committers=(commit.committer_email,), evidence=(API_EVIDENCE,)))
        elif iid not in seen:
            seen.add(iid)
            change = details[iid]
            authors = tuple(sorted({*change.authors, *co_authors.get(iid, set())}))
            out.append(replace(change, commit=commit.sha, authors=authors))
    return tuple(out)


def _merge_request_for(sha: str, found: list[dict[str, Any]],
                       production: set[str]) -> dict[str, Any] | None:
    """The merged merge request into a production branch that brought `sha` in."""
    merged = [m for m in found if m.get("state") == "merged" and m.get("target_branch") in production]
    exact = [m for m in merged if sha in (m.get("merge_commit_sha"), m.get("squash_commit_sha"))]
    if exact:
        return exact[0]
    return sorted(merged, key=lambda m: str(m.get("merged_at") or ""))[0] if merged else None


def _merge_request_change(c: _Collector, iid: int) -> Change | None:
    base = c.path(f"/merge_requests/{iid}")
    mr = c.attempt("merge requests", f"merge request !{iid}", lambda: c.client.get_json(base))
    commits = c.attempt("merge requests", f"commits of merge request !{iid}",
                        lambda: c.client.paginate(f"{base}/commits"))
    approvals = c.attempt("merge requests", f"merge request approvals of !{iid}",
                          lambda: c.client.get_json(f"{base}/approvals"))
    if not isinstance(mr, dict) or commits is None or not isinstance(approvals, dict):
        return None
    authors: set[str] = set()
    committers: set[str] = set()
    for item in commits:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("id"), str):
            c.mr_by_sha.setdefault(item["id"], iid)
        authors.add(str(item.get("author_email") or "").lower())
        committers.add(str(item.get("committer_email") or "").lower())
        authors.update(email.lower() for email in _CO_AUTHOR.findall(str(item.get("message") or "")))
    authors.discard("")
    committers.discard("")
    merge_commit = _text(mr.get("merge_commit_sha")) or _text(mr.get("squash_commit_sha"))
    head = _text(mr.get("sha")) or _text((mr.get("diff_refs") or {}).get("head_sha"))
    for sha in (merge_commit, _text(mr.get("squash_commit_sha"))):
        if sha:
            c.mr_by_sha.setdefault(sha, iid)
    # A fast-forward merge puts the head itself on the target branch.
    merged_commit = merge_commit or (head if mr.get("state") == "merged" else None)
    checks: tuple[Check, ...] = ()
    if merged_commit:
        statuses = c.attempt("commit statuses", f"pipeline jobs of commit {merged_commit[:12]}",
                             lambda: c.client.paginate(
                                 c.path(f"/repository/commits/{merged_commit}/statuses")))
        checks = tuple(_check(s) for s in statuses or [] if isinstance(s, dict))
    reviews = tuple(_review(entry["user"]) for entry in approvals.get("approved_by") or []
                    if isinstance(entry, dict) and isinstance(entry.get("user"), dict))
    title, description = str(mr.get("title") or ""), str(mr.get("description") or "")
    source = _text(mr.get("source_branch"))
    merger = mr.get("merge_user") or mr.get("merged_by")  # merged_by: deprecated name
    return Change(
        commit="",
        request=iid,
        url=_text(mr.get("web_url")),
        title=title,
        source_branch=source,
        labels=tuple(sorted(_labels(mr.get("labels")))),
        ticket=_ticket(c.request.ticket_pattern, source, title, description),
        opened_by=_username(mr.get("author")),
        authors=tuple(sorted(authors)),
        committers=tuple(sorted(committers)),
        reviews=reviews,
        head_commit=head,
        merged_by=_username(merger),
        merged_at=_text(mr.get("merged_at")),
        merge_commit=merged_commit,
        checks=checks,
        evidence=(API_EVIDENCE,),
    )


def _labels(value: Any) -> Iterable[str]:
    for label in value or []:
        if isinstance(label, str):
            yield label
        elif isinstance(label, dict) and label.get("name"):
            yield str(label["name"])  # with_labels_details=true


def _username(user: Any) -> str | None:
    return _text(user.get("username")) if isinstance(user, dict) else None


def _review(user: dict[str, Any]) -> Review:
    name = str(user.get("username") or "")
    # GitLab records no time and no commit for an approval; with approvals reset on push,
    # an approval still standing was given on the head (BranchRules.dismiss_stale_reviews).
    return Review(reviewer=name, state="APPROVED", submitted_at=None, commit=None,
                  is_bot=user.get("bot") is True or bool(_BOT_NAME.search(name)))


def _check(status: Mapping[str, Any]) -> Check:
    state = str(status.get("status") or "")
    conclusion = _CONCLUSIONS.get(state)
    if conclusion == "failure" and status.get("allow_failure") is True:
        conclusion = "neutral"  # GitLab passes the pipeline "with warnings": it does not block
    return Check(str(status.get("name") or ""), "completed" if conclusion else state, conclusion)


def _ticket(pattern: str, *texts: str | None) -> str | None:
    if not pattern:
        return None
    regex = re.compile(pattern)
    for text in texts:
        if text and (match := regex.search(text)):
            return match.group(0)
    return None


# -- variables and environments -------------------------------------------------------------


def _secrets(c: _Collector) -> tuple[StoredSecret, ...] | None:
    start = len(c.client.exchanges)
    try:
        found = c.attempt("variables", "CI/CD variables",
                          lambda: c.client.paginate(c.path("/variables")))
    finally:
        # The replies carry every variable's value: remove them before anything is kept.
        _redact_variable_values(c.client, start)
    if found is None:
        return None
    out: list[StoredSecret] = []
    for item in found:
        if not isinstance(item, dict):
            continue
        value = item.get("value")
        if isinstance(value, str) and len(value) >= MIN_SCRUBBED_VALUE:
            c.secret_values.add(value)
        scope = str(item.get("environment_scope") or "*")
        out.append(StoredSecret(
            name=str(item.get("key") or ""),
            scope="project" if scope == "*" else f"environment:{scope}",
            protected=_bool(item.get("protected")),
            masked=True if item.get("hidden") is True else _bool(item.get("masked")),
        ))
    return tuple(out)


def _redact_variable_values(client: ApiClient, start: int = 0) -> None:
    """Replace the `value` of every recorded variables reply by `[redacted]`."""
    for index in range(start, len(client.exchanges)):
        exchange = client.exchanges[index]
        if _VARIABLES_PATH.search(urlsplit(exchange.url).path):
            client.exchanges[index] = replace(exchange, body=_without_values(exchange.body))


def _without_values(body: Any) -> Any:
    if isinstance(body, str):
        return REDACTED  # a reply that was not JSON cannot be split into names and values
    return _drop_values(body)


def _drop_values(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: REDACTED if key == "value" else _drop_values(item) for key, item in body.items()}
    if isinstance(body, list):
        return [_drop_values(item) for item in body]
    return body


def _environments(c: _Collector) -> tuple[DeployEnvironment, ...] | None:
    found = c.attempt("protected environments", "protected environments",
                      lambda: c.client.paginate(c.path("/protected_environments")))
    if found is None:
        return None
    # Premium projects say whether whoever triggered the pipeline may approve its deployment.
    self_approve = _bool(c.project_info.get("allow_pipeline_trigger_approve_deployment"))
    out: list[DeployEnvironment] = []
    for env in found:
        if not isinstance(env, dict):
            continue
        rules = [r for r in env.get("approval_rules") or [] if isinstance(r, dict)]
        reviewers = [_access_entry(r) for r in rules]
        count = env.get("required_approval_count")
        if not rules and isinstance(count, int) and count > 0:
            # Before approval rules, the people allowed to deploy were the approvers.
            reviewers = [_access_entry(level) for level in env.get("deploy_access_levels") or []
                         if isinstance(level, dict)]
        out.append(DeployEnvironment(
            name=str(env.get("name") or ""),
            required_reviewers=tuple(reviewers),
            prevent_self_review=(not self_approve) if reviewers and self_approve is not None else None,
            branch_policy=None,  # GitLab limits who deploys, not from which branch
        ))
    return tuple(out)


# -- pipelines and their logs ---------------------------------------------------------------


def _runs(c: _Collector) -> tuple[PipelineRun, ...] | None:
    if not c.request.now:
        c.unavailable.append(Unavailable(
            "pipelines of the production branches", "the time of this run is not known, so the "
            "monitoring window cannot be placed"))
        return None
    since = (datetime.fromisoformat(c.request.now.replace("Z", "+00:00"))
             - timedelta(days=c.request.window_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out: list[PipelineRun] = []
    for branch in c.request.production_branches:
        found = c.attempt("pipelines", f"pipelines of {branch}",
                          partial(c.client.paginate, c.path("/pipelines"),
                                  {"ref": branch, "updated_after": since}, max_pages=MAX_RUN_PAGES))
        if found is None:
            return None
        for run in found:
            if not isinstance(run, dict):
                continue
            state = str(run.get("status") or "")
            conclusion = _CONCLUSIONS.get(state)
            out.append(PipelineRun(
                run_id=str(run.get("id")), branch=_text(run.get("ref")), event=_text(run.get("source")),
                status="completed" if conclusion else (state or None), conclusion=conclusion,
                created_at=_text(run.get("created_at")), url=_text(run.get("web_url"))))
    return tuple(out)


def _run_logs(c: _Collector) -> str | None:
    """The logs of this run's jobs, in one deterministic tar.gz in the pack."""
    run_id = c.request.run_id
    if not run_id or not run_id.isdigit():
        return None
    jobs = c.attempt("job logs", f"logs of pipeline {run_id}: its jobs",
                     lambda: c.client.paginate(c.path(f"/pipelines/{run_id}/jobs"),
                                               {"include_retried": "true"}))
    if not jobs:
        return None
    members: dict[str, bytes] = {}
    manifest: list[dict[str, Any]] = []
    for job in sorted((j for j in jobs if isinstance(j, dict) and isinstance(j.get("id"), int)),
                      key=lambda j: int(j["id"])):
        name = str(job.get("name") or "")
        c.job_names.add(name)
        entry = {key: job.get(key) for key in ("id", "name", "stage", "status", "started_at",
                                               "finished_at", "allow_failure")}
        if job.get("status") in _NO_LOG_STATES:
            entry["log"] = None
            manifest.append(entry)
            continue
        data = c.attempt("job logs", f"logs of job {job['id']} ({name})",
                         partial(c.client.download, c.path(f"/jobs/{job['id']}/trace")))
        if data is None:
            entry["log"] = None
        else:
            text = _scrub_log(data.decode("utf-8", errors="replace"), c.secret_values)
            member = f"job-{job['id']}-{_UNSAFE_NAME.sub('_', name)[:80] or 'job'}.log"
            members[member] = text.encode()
            entry["log"] = member
            entry["sha256"] = hashlib.sha256(members[member]).hexdigest()
        manifest.append(entry)
    if not members:
        return None
    members["jobs.json"] = (json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False)
                            + "\n").encode()
    path = f"{EVIDENCE_DIR}/pipeline-{run_id}-logs.tar.gz"
    c.files[path] = deterministic_tar_gz(members)
    return path


def _scrub_log(text: str, values: set[str]) -> str:
    """Remove variable values (an unmasked variable can be echoed) and known credentials."""
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return redact(text).text


# -- retention and secret detection -------------------------------------------------------------


def _log_retention(c: _Collector) -> int | None:
    """Days before GitLab deletes pipelines (and their job logs), when the project says."""
    seconds = c.project_info.get("ci_delete_pipelines_in_seconds")
    if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds > 0:
        return seconds // 86400
    c.unavailable.append(Unavailable(
        "logs retention (instance setting)",
        "GitLab's API gives no per-project log retention: job logs stay until their pipeline "
        "is deleted, no automatic pipeline cleanup (ci_delete_pipelines_in_seconds) is shown "
        "for this project, and artifact expiry is an instance setting only administrators read",
        PERMISSIONS["log retention"]))
    return None


def _push_protection(c: _Collector) -> bool | None:
    """Secret push protection: in the project reply (GitLab 17.x) or the security settings."""
    for key in ("secret_push_protection_enabled", "pre_receive_secret_detection_enabled"):
        if isinstance(c.project_info.get(key), bool):
            return bool(c.project_info[key])
    found = c.attempt("security settings", "security settings (secret push protection)",
                      lambda: c.client.get_json(c.path("/security_settings")))
    if isinstance(found, dict):
        for key in ("secret_push_protection_enabled", "pre_receive_secret_detection_enabled"):
            if isinstance(found.get(key), bool):
                return bool(found[key])
    return None


def _secret_scanning(c: _Collector, changes: tuple[Change, ...] | None) -> bool | None:
    """True when a secret detection job ran in this pipeline or on a merged commit.

    GitLab's pipeline secret detection is a CI job (the Secret-Detection template), not a
    project setting: no API says it is on, so its absence is "not observed", never "off".
    """
    names = set(c.job_names)
    for change in changes or ():
        names.update(check.name for check in change.checks)
    if any(_SECRET_DETECTION_JOB.match(name) for name in names):
        return True
    c.unavailable.append(Unavailable(
        "secret detection", "GitLab's API has no setting for pipeline secret detection, and no "
        "secret_detection job was seen in this pipeline or on the merged commits"))
    return None
