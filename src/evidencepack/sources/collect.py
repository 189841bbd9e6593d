"""Choosing the platform API, its token and address, and reading it for one run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..model import Subject
from .platform import CollectRequest, PlatformCollection


@dataclass(frozen=True)
class PlatformAccess:
    """Where and how to reach the platform's API; the token is never written anywhere."""

    platform: str
    api_url: str
    token: str = ""
    job_token: bool = False
    """GitLab's CI_JOB_TOKEN, which is sent in its own header."""

    def __repr__(self) -> str:  # keep the token out of tracebacks and logs
        return f"PlatformAccess(platform={self.platform!r}, api_url={self.api_url!r})"


def platform_access(
    subject: Subject,
    env: Mapping[str, str],
    *,
    github_token: str | None = None,
    gitlab_token: str | None = None,
) -> PlatformAccess | None:
    """The API to read for `subject`, or None when no token for its platform was given."""
    if subject.platform == "gitlab":
        token = gitlab_token or env.get("GITLAB_TOKEN") or env.get("CI_JOB_TOKEN")
        if not token:
            return None
        job_token = not (gitlab_token or env.get("GITLAB_TOKEN"))
        server = (subject.server_url or "https://gitlab.com").rstrip("/")
        api = env.get("CI_API_V4_URL") or f"{server}/api/v4"
        return PlatformAccess("gitlab", api, token, job_token)
    if subject.platform == "github":
        github = github_token or env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
        if not github:
            return None
        server = (subject.server_url or "https://github.com").rstrip("/")
        default = "https://api.github.com" if server == "https://github.com" else f"{server}/api/v3"
        return PlatformAccess("github", env.get("GITHUB_API_URL") or default, github)
    return None


def collect_platform(access: PlatformAccess, request: CollectRequest,
                     **client_options: Any) -> PlatformCollection:
    """Read the platform for `request` with a fresh client."""
    # Imported here: without a token no run pays for loading the HTTP stack.
    from .github_api import HEADERS, collect_github
    from .gitlab_api import collect_gitlab, gitlab_client
    from .http import ApiClient

    if access.platform == "gitlab":
        with gitlab_client(access.api_url, access.token, job_token=access.job_token,
                           **client_options) as client:
            collection = collect_gitlab(client, request)
    else:
        with ApiClient(access.api_url, access.token, extra_headers=HEADERS,
                       **client_options) as client:
            collection = collect_github(client, request)
    evidence = replace(collection.evidence, api_url=access.api_url)
    return PlatformCollection(evidence, collection.files)
