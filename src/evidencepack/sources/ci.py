"""The CI environment the run happens in, recorded as the pack's subject."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ..errors import RepositoryError
from ..model import Subject
from .repository import Checkout, repository_slug

GITHUB_VARIABLES = (
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_ACTOR",
    "GITHUB_TRIGGERING_ACTOR",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_SERVER_URL",
    "GITHUB_EVENT_NAME",
)
GITLAB_VARIABLES = (
    "CI_PROJECT_PATH",
    "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_BRANCH",
    "CI_PIPELINE_ID",
    "CI_PIPELINE_SOURCE",
    "CI_JOB_URL",
    "GITLAB_USER_LOGIN",
    "CI_SERVER_URL",
)


def detect_platform(env: Mapping[str, str]) -> str:
    """`github`, `gitlab` or `local`, from the variables each CI sets on every job."""
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_RUN_ID"):
        return "github"
    if env.get("GITLAB_CI") == "true" or env.get("CI_PIPELINE_ID"):
        return "gitlab"
    return "local"


def build_subject(checkout: Checkout, env: Mapping[str, str]) -> tuple[Subject, list[str]]:
    """The subject of the pack, and warnings about disagreements between CI and checkout."""
    if checkout.head is None:
        raise RepositoryError(f"{checkout.root}: not a Git repository")
    slug, host = repository_slug(checkout.remote_url)
    platform = detect_platform(env)
    warnings: list[str] = []
    base = Subject(
        repository=slug,
        commit=checkout.head.sha,
        branch=checkout.branch,
        remote_url=checkout.remote_url,
        author=checkout.head.author or None,
        committer=checkout.head.committer or None,
        commit_time=checkout.head.committed_at or None,
    )

    def value(name: str) -> str | None:
        return env.get(name) or None

    if platform == "github":
        repository = value("GITHUB_REPOSITORY") or slug
        server = value("GITHUB_SERVER_URL") or "https://github.com"
        run_id, attempt = value("GITHUB_RUN_ID"), value("GITHUB_RUN_ATTEMPT")
        run_url = None
        if repository and run_id:
            run_url = f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"
            if attempt:
                run_url += f"/attempts/{attempt}"
        ref = value("GITHUB_REF")
        ci_sha = value("GITHUB_SHA")
        subject = replace(
            base,
            repository=repository,
            ref=ref,
            branch=_branch_of(ref) or checkout.branch,
            server_url=server,
            platform="github",
            run_id=run_id,
            run_attempt=attempt,
            run_url=run_url,
            actor=value("GITHUB_ACTOR"),
            triggering_actor=value("GITHUB_TRIGGERING_ACTOR"),
            workflow_ref=value("GITHUB_WORKFLOW_REF"),
            event_name=value("GITHUB_EVENT_NAME"),
        )
    elif platform == "gitlab":
        ref_name = value("CI_COMMIT_REF_NAME")
        ci_sha = value("CI_COMMIT_SHA")
        subject = replace(
            base,
            repository=value("CI_PROJECT_PATH") or slug,
            ref=ref_name,
            branch=value("CI_COMMIT_BRANCH") or checkout.branch,
            server_url=value("CI_SERVER_URL"),
            platform="gitlab",
            run_id=value("CI_PIPELINE_ID"),
            run_url=value("CI_JOB_URL") or value("CI_PIPELINE_URL"),
            actor=value("GITLAB_USER_LOGIN"),
            event_name=value("CI_PIPELINE_SOURCE"),
        )
    else:
        ci_sha = None
        local_server = f"https://{host}" if host else None
        subject = replace(
            base,
            repository=slug,
            ref=f"refs/heads/{checkout.branch}" if checkout.branch else None,
            branch=checkout.branch,
            server_url=local_server,
            platform=_platform_of_host(host),
        )
    if ci_sha and ci_sha != checkout.head.sha:
        warnings.append(
            f"the CI says commit {ci_sha[:12]} but the checkout is at "
            f"{checkout.head.sha[:12]}; the pack describes the checkout"
        )
    return subject, warnings


def _branch_of(ref: str | None) -> str | None:
    if ref and ref.startswith("refs/heads/"):
        return ref[len("refs/heads/"):]
    return None


def _platform_of_host(host: str | None) -> str:
    # Outside CI the platform is only a guess from the remote; it decides which platform
    # controls say "no GitHub token" or "no GitLab token".
    if host and "gitlab" in host:
        return "gitlab"
    if host and "github" in host:
        return "github"
    return "local"


MAX_EVENT_BYTES = 25 * 1024 * 1024
"""GitHub caps webhook payloads at 25 MB; a larger event file is not read."""


def pushed_range_base(env: Mapping[str, str]) -> tuple[str | None, str]:
    """The commit the CI says this run's change starts from, and where that came from.

    GitLab: the merge request's diff base (`CI_MERGE_REQUEST_DIFF_BASE_SHA`), else the
    commit before the push (`CI_COMMIT_BEFORE_SHA`). GitHub: the pull request's base commit
    or the push's `before`, from the event payload at `GITHUB_EVENT_PATH`. A new branch's
    all-zero `before` names nothing. (None, "") when the CI gives no range.
    """
    for name in ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "CI_COMMIT_BEFORE_SHA"):
        value = env.get(name, "")
        if _is_commit_id(value):
            return value, name
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None, ""
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_EVENT_BYTES + 1)
        event = json.loads(raw) if len(raw) <= MAX_EVENT_BYTES else None
    except (OSError, ValueError):
        return None, ""
    if not isinstance(event, dict):
        return None, ""
    pull = event.get("pull_request")
    if isinstance(pull, dict) and isinstance(pull.get("base"), dict):
        sha = pull["base"].get("sha")
        if isinstance(sha, str) and _is_commit_id(sha):
            return sha, "the pull request's base (GITHUB_EVENT_PATH)"
    before = event.get("before")
    if isinstance(before, str) and _is_commit_id(before):
        return before, "the push's before commit (GITHUB_EVENT_PATH)"
    return None, ""


def _is_commit_id(value: str) -> bool:
    return len(value) in (40, 64) and all(c in "0123456789abcdef" for c in value) and value.strip("0") != ""
