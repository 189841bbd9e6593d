"""Reading a repository's settings and review history through GitHub's REST API.

Every area is read on its own: a reply the token is not allowed to have becomes an
`Unavailable` naming the permission, and the rest is still collected. Every reply used as
evidence is kept (`evidence/platform/github/api.json`) so an auditor can re-check it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar
from urllib.parse import quote

from ..pack.archive import deterministic_tar_gz
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

API_EVIDENCE = "evidence/platform/github/api.json"
HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
MAX_PULL_REQUESTS = 300
"""More pull requests than this in one deploy range are not read (and the pack says so)."""

# The fine-grained permission each area needs; shown when a call is refused.
PERMISSIONS = {
    "repository": "metadata=read",
    "branch protection": "administration=read",
    "branch rules": "metadata=read",
    "rulesets": "administration=read",
    "pull requests": "pull_requests=read, contents=read",
    "checks": "checks=read",
    "workflow permissions": "administration=read",
    "secrets": "secrets=read",
    "environments": "actions=read",
    "environment secrets": "environments=read",
    "oidc subject": "actions=read",
    "log retention": "administration=read",
    "runs": "actions=read",
    "run logs": "actions=read",
    "security settings": "administration=read",
}



@dataclass
class _Collector(AreaReads):
    permissions: ClassVar[Mapping[str, str]] = PERMISSIONS
    client: ApiClient = field(kw_only=True)
    request: CollectRequest = field(kw_only=True)
    repo: str = field(kw_only=True)
    files: dict[str, bytes] = field(default_factory=dict)

    def path(self, suffix: str) -> str:
        return f"/repos/{self.repo}{suffix}"


def collect_github(client: ApiClient, request: CollectRequest) -> PlatformCollection:
    """Everything the controls need from GitHub for `request.repository`."""
    repo = "/".join(quote(part, safe="") for part in request.repository.split("/"))
    c = _Collector(client=client, request=request, repo=repo)
    repository = c.attempt("repository", "repository", lambda: client.get_json(c.path("")))
    info = repository if isinstance(repository, dict) else {}
    security = info.get("security_and_analysis") if info else None
    secret_scanning = push_protection = None
    if isinstance(security, dict):
        secret_scanning = _enabled(security.get("secret_scanning"))
        push_protection = _enabled(security.get("secret_scanning_push_protection"))
    elif info:
        c.unavailable.append(Unavailable(
            "secret scanning settings",
            "the repository reply has no security_and_analysis (only shown to administrators)",
            PERMISSIONS["security settings"],
        ))
    workflow = c.attempt("workflow permissions", "default workflow permissions",
                         lambda: client.get_json(c.path("/actions/permissions/workflow")))
    workflow = workflow if isinstance(workflow, dict) else {}
    retention = c.attempt("log retention", "artifact and log retention",
                          lambda: client.get_json(c.path("/actions/permissions/artifact-and-log-retention")))
    oidc = c.attempt("oidc subject", "OIDC subject claim customisation",
                     lambda: client.get_json(c.path("/actions/oidc/customization/sub")))
    environments = _environments(c)
    evidence = PlatformEvidence(
        platform="github",
        repository=request.repository,
        api_url="",  # the caller knows the address it chose
        default_branch=info.get("default_branch"),
        visibility=info.get("visibility") or (("private" if info.get("private") else "public")
                                              if info else None),
        branch_rules=_branch_rules(c),
        change_range=(request.base, request.head),
        changes=_changes(c),
        default_token_permissions=workflow.get("default_workflow_permissions"),
        actions_can_approve_requests=workflow.get("can_approve_pull_request_reviews"),
        secrets=_secrets(c, environments),
        environments=environments,
        oidc_subject=oidc if isinstance(oidc, dict) else None,
        log_retention_days=retention.get("days") if isinstance(retention, dict) else None,
        secret_scanning=secret_scanning,
        push_protection=push_protection,
        runs=_runs(c),
        run_logs=_run_logs(c),
        deploy_approvals=_deploy_approvals(c),
    )
    evidence = replace(evidence, unavailable=tuple(c.unavailable))
    c.files[API_EVIDENCE] = (json.dumps([e.to_json() for e in client.exchanges], indent=1,
                                        sort_keys=True, ensure_ascii=False) + "\n").encode()
    return PlatformCollection(evidence, c.files)


def _enabled(value: Any) -> bool | None:
    if isinstance(value, dict) and isinstance(value.get("status"), str):
        return bool(value["status"] == "enabled")
    return None


# -- branch rules ---------------------------------------------------------------------------


def _branch_rules(c: _Collector) -> tuple[BranchRules, ...] | None:
    out: list[BranchRules] = []
    complete = True
    for branch in c.request.production_branches:
        name = quote(branch, safe="")
        try:
            exists = c.client.get(c.path(f"/branches/{name}"))
        except ApiUnavailable as exc:
            c.unavailable.append(Unavailable(f"branch {branch}", exc.reason, PERMISSIONS["repository"]))
            complete = False
            continue
        if exists.status == 404:
            continue  # the policy names a branch this repository does not have
        rules = _rules_of(c, branch, name)
        if rules is None:
            complete = False
        else:
            out.append(rules)
    return tuple(out) if complete or out else None


def _rules_of(c: _Collector, branch: str, name: str) -> BranchRules | None:
    classic_reply = c.attempt("branch protection", f"branch protection of {branch}",
                              lambda: c.client.get(c.path(f"/branches/{name}/protection")))
    classic: dict[str, Any] | None = None
    classic_known = False
    if classic_reply is not None:
        if classic_reply.status == 200 and isinstance(classic_reply.body, dict):
            classic, classic_known = classic_reply.body, True
        elif classic_reply.status == 404:
            # "Branch not protected" is an observation; a ruleset may still protect it.
            classic_known = True
        else:
            message = _message(classic_reply.body)
            c.unavailable.append(Unavailable(
                f"branch protection of {branch}", f"{classic_reply.status} {message}".strip(),
                PERMISSIONS["branch protection"]))
    rules = c.attempt("branch rules", f"rules of {branch}",
                      lambda: c.client.paginate(c.path(f"/rules/branches/{name}")))
    if rules is None:
        return None
    ruleset_ids: list[int] = sorted({int(r["ruleset_id"]) for r in rules
                                     if isinstance(r, dict) and isinstance(r.get("ruleset_id"), int)})
    rulesets = []
    for ruleset_id in ruleset_ids:
        detail = c.attempt("rulesets", f"ruleset {ruleset_id}",
                           partial(c.client.get_json, c.path(f"/rulesets/{ruleset_id}")))
        if isinstance(detail, dict):
            rulesets.append(detail)
    if not classic_known and not ruleset_ids:
        return None  # nothing observed: neither classic protection nor rules could be read
    return _merge_rules(branch, classic, rules, rulesets, classic_known)


def _merge_rules(branch: str, classic: dict[str, Any] | None, rules: list[Any],
                 rulesets: list[dict[str, Any]], classic_known: bool) -> BranchRules:
    sources: list[str] = []
    approvals = 0
    stale = owners = last_push = force = deletions = False
    checks: set[str] = set()
    bypass: set[str] = set()
    enforce_admins = False
    if classic is not None:
        sources.append("classic")
        reviews = classic.get("required_pull_request_reviews") or {}
        approvals = int(reviews.get("required_approving_review_count") or 0)
        stale = bool(reviews.get("dismiss_stale_reviews"))
        owners = bool(reviews.get("require_code_owner_reviews"))
        last_push = bool(reviews.get("require_last_push_approval"))
        enforce_admins = bool((classic.get("enforce_admins") or {}).get("enabled"))
        force = bool((classic.get("allow_force_pushes") or {}).get("enabled"))
        deletions = bool((classic.get("allow_deletions") or {}).get("enabled"))
        status = classic.get("required_status_checks") or {}
        checks.update(str(x) for x in status.get("contexts") or [])
        checks.update(str(x.get("context")) for x in status.get("checks") or [] if isinstance(x, dict))
        allowances = reviews.get("bypass_pull_request_allowances") or {}
        bypass.update(f"user:{u.get('login')}" for u in allowances.get("users") or [])
        bypass.update(f"team:{t.get('slug')}" for t in allowances.get("teams") or [])
        bypass.update(f"app:{a.get('slug')}" for a in allowances.get("apps") or [])
        if not enforce_admins:
            bypass.add("repository administrators (enforce_admins is off)")
    rule_types = {r.get("type") for r in rules if isinstance(r, dict)}
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        params = rule.get("parameters") or {}
        if rule.get("type") == "pull_request":
            approvals = max(approvals, int(params.get("required_approving_review_count") or 0))
            stale = stale or bool(params.get("dismiss_stale_reviews_on_push"))
            owners = owners or bool(params.get("require_code_owner_review"))
            last_push = last_push or bool(params.get("require_last_push_approval"))
        elif rule.get("type") == "required_status_checks":
            checks.update(str(x.get("context")) for x in params.get("required_status_checks") or []
                          if isinstance(x, dict))
    for ruleset in rulesets:
        sources.append(f"ruleset:{ruleset.get('id')} {ruleset.get('name', '')}".strip())
        for actor in ruleset.get("bypass_actors") or []:
            if isinstance(actor, dict):
                bypass.add(f"{actor.get('actor_type')}:{actor.get('actor_id')} "
                           f"({actor.get('bypass_mode', 'always')})")
    if not classic and rulesets:
        # Rulesets apply to administrators unless they are listed as bypass actors.
        enforce_admins = True
    protected = classic is not None or bool(rule_types & {"pull_request", "update", "non_fast_forward"})
    if rule_types and "non_fast_forward" not in rule_types and classic is None:
        force = True
    if rule_types and "deletion" not in rule_types and classic is None:
        deletions = True
    return BranchRules(
        branch=branch,
        protected=protected,
        sources=tuple(sources),
        required_approvals=approvals,
        dismiss_stale_reviews=stale,
        require_code_owner_review=owners,
        require_last_push_approval=last_push,
        enforce_admins=enforce_admins,
        bypass_actors=tuple(sorted(bypass)),
        required_status_checks=tuple(sorted(checks)),
        allow_force_pushes=force if protected else True,
        allow_deletions=deletions if protected else True,
        evidence=(API_EVIDENCE,),
    )


def _message(body: Any) -> str:
    return str(body.get("message", "")) if isinstance(body, dict) else ""


# -- changes --------------------------------------------------------------------------------

_CO_AUTHOR = re.compile(r"^co-authored-by:\s*(.+?)\s*<([^>]+)>\s*$", re.IGNORECASE | re.MULTILINE)
_NOREPLY = re.compile(r"^(?:\d+\+)?([a-z0-9-]+)@users\.noreply\.github\.com$")


def _changes(c: _Collector) -> tuple[Change, ...] | None:
    pulls: dict[int, dict[str, Any]] = {}
    by_commit: dict[str, int | None] = {}
    for commit in c.request.commits:
        found = c.attempt("pull requests", f"pull requests of commit {commit.sha[:12]}",
                          partial(c.client.paginate, c.path(f"/commits/{commit.sha}/pulls")))
        if found is None:
            return None
        chosen = _pull_for(commit, [p for p in found if isinstance(p, dict)],
                           c.request.production_branches)
        by_commit[commit.sha] = chosen.get("number") if chosen else None
        if chosen and isinstance(chosen.get("number"), int):
            pulls.setdefault(chosen["number"], chosen)
    if len(pulls) > MAX_PULL_REQUESTS:
        # A partial review history could pass CM-2 on the changes that were read.
        c.unavailable.append(Unavailable(
            "pull requests", f"{len(pulls)} pull requests in the range, more than the "
            f"{MAX_PULL_REQUESTS} read per pack: build packs more often or narrow --since"))
        return None
    details: dict[int, Change] = {}
    for pull_number in sorted(pulls)[:MAX_PULL_REQUESTS]:
        change = _pull_change(c, pull_number)
        if change is None:
            return None
        details[pull_number] = change
    commits = {commit.sha: commit for commit in c.request.commits}
    members: dict[int, list[str]] = {}
    for sha, number in by_commit.items():
        if number is not None:
            members.setdefault(number, []).append(sha)
    out: list[Change] = []
    seen: set[int] = set()
    for sha, number in by_commit.items():
        if number is None:
            local = commits[sha]
            out.append(Change(commit=sha, request=None,
                              authors=tuple(sorted({local.author_email, *local.co_authors})),
                              committers=(local.committer_email,), commits=(sha,)))
        elif number in details and number not in seen:
            seen.add(number)
            out.append(replace(details[number], commit=sha, commits=tuple(members[number])))
    return tuple(out)


def _pull_for(commit: LocalCommit, pulls: list[dict[str, Any]],
              production: Iterable[str]) -> dict[str, Any] | None:
    """The merged pull request into a production branch that brought `commit` in."""
    merged = [p for p in pulls if p.get("merged_at")]
    into_production = [p for p in merged if (p.get("base") or {}).get("ref") in set(production)]
    for candidates in (into_production, merged):
        exact = [p for p in candidates if p.get("merge_commit_sha") == commit.sha]
        if exact:
            return exact[0]
        if candidates:
            return sorted(candidates, key=lambda p: str(p.get("merged_at")))[0]
    return None


def _pull_change(c: _Collector, number: int) -> Change | None:
    pull = c.attempt("pull requests", f"pull request #{number}",
                     lambda: c.client.get_json(c.path(f"/pulls/{number}")))
    commits = c.attempt("pull requests", f"commits of pull request #{number}",
                        lambda: c.client.paginate(c.path(f"/pulls/{number}/commits")))
    reviews = c.attempt("pull requests", f"reviews of pull request #{number}",
                        lambda: c.client.paginate(c.path(f"/pulls/{number}/reviews")))
    if not isinstance(pull, dict) or commits is None or reviews is None:
        return None
    authors: set[str] = set()
    committers: set[str] = set()
    logins: dict[str, str] = {}
    co_authors: set[str] = set()
    for item in commits:
        if not isinstance(item, dict):
            continue
        detail = item.get("commit") or {}
        authors.add(_person(item.get("author"), detail.get("author")))
        committers.add(_person(item.get("committer"), detail.get("committer")))
        for account, signature in ((item.get("author"), detail.get("author")),
                                   (item.get("committer"), detail.get("committer"))):
            if isinstance(account, dict) and isinstance(signature, dict) and signature.get("email"):
                logins[str(signature["email"]).lower()] = str(account.get("login"))
        co_authors.update(email.lower() for _, email in
                          _CO_AUTHOR.findall(str(detail.get("message") or "")))
    # A co-author is named by email only: the account is known when the same email signed a
    # commit of the request, or when it is GitHub's no-reply address of the account.
    for email in co_authors:
        noreply = _NOREPLY.match(email)
        authors.add(logins.get(email) or (noreply.group(1) if noreply else email))
    authors.discard("")
    committers.discard("")
    committers.discard("web-flow")  # GitHub's own committer for merges made in the web UI
    merge_commit = pull.get("merge_commit_sha")
    checks: tuple[Check, ...] = ()
    if isinstance(merge_commit, str) and merge_commit:
        runs = c.attempt("checks", f"checks of {merge_commit[:12]}",
                         lambda: c.client.paginate(c.path(f"/commits/{merge_commit}/check-runs"),
                                                   items_key="check_runs"))
        checks = tuple(Check(str(r.get("name")), str(r.get("status")), r.get("conclusion"))
                       for r in runs or [] if isinstance(r, dict))
    labels = tuple(sorted(str(label.get("name")) for label in pull.get("labels") or []
                          if isinstance(label, dict)))
    head = pull.get("head") or {}
    title, body = str(pull.get("title") or ""), str(pull.get("body") or "")
    return Change(
        commit="",
        request=number,
        url=pull.get("html_url"),
        title=title,
        source_branch=head.get("ref"),
        labels=labels,
        ticket=_ticket(c.request.ticket_pattern, head.get("ref"), title, body),
        opened_by=(pull.get("user") or {}).get("login"),
        authors=tuple(sorted(authors)),
        committers=tuple(sorted(committers)),
        reviews=tuple(_review(r) for r in reviews if isinstance(r, dict)),
        head_commit=head.get("sha"),
        merged_by=(pull.get("merged_by") or {}).get("login"),
        merged_at=pull.get("merged_at"),
        merge_commit=merge_commit if isinstance(merge_commit, str) else None,
        checks=checks,
        evidence=(API_EVIDENCE,),
    )


def _person(account: Any, signature: Any) -> str:
    """The account login, or the Git email when the commit is linked to no account."""
    if isinstance(account, dict) and account.get("login"):
        return str(account["login"])
    if isinstance(signature, dict) and signature.get("email"):
        return str(signature["email"]).lower()
    return ""


def _review(item: dict[str, Any]) -> Review:
    user = item.get("user") or {}
    login = str(user.get("login") or "")
    return Review(
        reviewer=login,
        state=str(item.get("state") or ""),
        submitted_at=item.get("submitted_at"),
        commit=item.get("commit_id"),
        is_bot=user.get("type") == "Bot" or login.endswith("[bot]"),
    )


def _ticket(pattern: str, *texts: Any) -> str | None:
    if not pattern:
        return None
    regex = re.compile(pattern)
    for text in texts:
        if isinstance(text, str):
            match = regex.search(text)
            if match:
                return match.group(0)
    return None


# -- secrets, environments, runs ----------------------------------------------------------


def _secrets(c: _Collector,
             environments: tuple[DeployEnvironment, ...] | None) -> tuple[StoredSecret, ...] | None:
    found = c.attempt("secrets", "repository secrets",
                      lambda: c.client.paginate(c.path("/actions/secrets"), items_key="secrets"))
    if found is None:
        return None
    out = [StoredSecret(str(s.get("name")), "repository", s.get("created_at"), s.get("updated_at"))
           for s in found if isinstance(s, dict)]
    for env in environments or ():
        name = quote(env.name, safe="")
        # A refusal is recorded as an unavailable area; AC-3 will not pass over it.
        scoped = c.attempt("environment secrets", f"environment secrets of {env.name}",
                           partial(c.client.paginate, c.path(f"/environments/{name}/secrets"),
                                   items_key="secrets"))
        out.extend(StoredSecret(str(s.get("name")), f"environment:{env.name}", s.get("created_at"),
                                s.get("updated_at")) for s in scoped or [] if isinstance(s, dict))
    return tuple(out)


def _environments(c: _Collector) -> tuple[DeployEnvironment, ...] | None:
    found = c.attempt("environments", "environments",
                      lambda: c.client.paginate(c.path("/environments"), items_key="environments"))
    if found is None:
        return None
    out = []
    for env in found:
        if not isinstance(env, dict):
            continue
        reviewers: list[str] = []
        prevent_self: bool | None = None
        for rule in env.get("protection_rules") or []:
            if not isinstance(rule, dict) or rule.get("type") != "required_reviewers":
                continue
            prevent_self = bool(rule.get("prevent_self_review"))
            for entry in rule.get("reviewers") or []:
                who = (entry or {}).get("reviewer") or {}
                reviewers.append(str(who.get("login") or who.get("slug") or who.get("name")))
        policy = env.get("deployment_branch_policy")
        branch_policy = None
        if isinstance(policy, dict):
            branch_policy = "protected" if policy.get("protected_branches") else "custom"
        out.append(DeployEnvironment(str(env.get("name")), tuple(reviewers), prevent_self,
                                     branch_policy))
    return tuple(out)


def _runs(c: _Collector) -> tuple[PipelineRun, ...] | None:
    if not c.request.now:
        return None
    since = (datetime.fromisoformat(c.request.now.replace("Z", "+00:00"))
             - timedelta(days=c.request.window_days)).strftime("%Y-%m-%d")
    out: list[PipelineRun] = []
    for branch in c.request.production_branches:
        params = {"branch": branch, "created": f">={since}"}
        found = c.attempt("runs", f"workflow runs of {branch}", partial(
            c.client.paginate, c.path("/actions/runs"), params, items_key="workflow_runs",
            max_pages=10))
        if found is None:
            return None
        out.extend(
            PipelineRun(str(r.get("id")), r.get("head_branch"), r.get("event"), r.get("status"),
                        r.get("conclusion"), r.get("created_at"), r.get("html_url"))
            for r in found if isinstance(r, dict)
        )
    return tuple(out)


def _run_logs(c: _Collector) -> str | None:
    """This run's logs in the pack: the run's archive, else each finished job's log.

    While the run is still going (evidencepack is one of its jobs) GitHub may not serve the
    run's archive yet; the logs of the jobs that have finished are served one by one.
    """
    run_id = c.request.run_id
    if not run_id or not run_id.isdigit():
        return None
    try:
        data = c.client.download(c.path(f"/actions/runs/{run_id}/logs"))
    except ApiUnavailable as whole:
        return _job_logs(c, run_id, whole)
    path = f"evidence/platform/github/run-{run_id}-logs.zip"
    c.files[path] = data
    return path


def _job_logs(c: _Collector, run_id: str, whole: ApiUnavailable) -> str | None:
    jobs = c.attempt("run logs", f"jobs of run {run_id}",
                     lambda: c.client.paginate(c.path(f"/actions/runs/{run_id}/jobs"), items_key="jobs"))
    finished = [j for j in jobs or [] if isinstance(j, dict) and j.get("status") == "completed"
                and isinstance(j.get("id"), int)]
    logs: dict[str, bytes] = {}
    for job in finished:
        data = c.attempt("run logs", f"log of job {job['id']}",
                         partial(c.client.download, c.path(f"/actions/jobs/{job['id']}/logs")))
        if data is not None:
            logs[f"{job['id']}-{_safe_name(str(job.get('name') or 'job'))}.txt"] = data
    if not logs:
        c.unavailable.append(Unavailable(f"logs of run {run_id}", whole.reason,
                                         whole.permission or PERMISSIONS["run logs"]))
        return None
    path = f"evidence/platform/github/run-{run_id}-job-logs.tar.gz"
    c.files[path] = deterministic_tar_gz(logs)
    return path


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80] or "job"


def _deploy_approvals(c: _Collector) -> tuple[Review, ...] | None:
    run_id = c.request.run_id
    if not run_id or not run_id.isdigit():
        return None
    found = c.attempt("runs", f"deployment approvals of run {run_id}",
                      lambda: c.client.paginate(c.path(f"/actions/runs/{run_id}/approvals")))
    if found is None:
        return None
    out = []
    for item in found:
        if not isinstance(item, dict):
            continue
        user = item.get("user") or {}
        envs = ", ".join(str(e.get("name")) for e in item.get("environments") or [] if isinstance(e, dict))
        state = f"{str(item.get('state') or '').upper()} {envs}".strip()
        out.append(Review(str(user.get("login") or ""), state, None, None, user.get("type") == "Bot"))
    return tuple(out)
