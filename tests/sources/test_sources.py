"""The checkout and the CI environment as the pack's subject."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from evidencepack.errors import RepositoryError
from evidencepack.sources.ci import build_subject, detect_platform
from evidencepack.sources.repository import (
    open_checkout,
    open_tree,
    read_inside,
    repository_slug,
    strip_credentials,
)


@pytest.mark.parametrize(
    ("url", "slug", "host"),
    [
        ("https://github.com/acme/shop.git", "acme/shop", "github.com"),
        ("https://github.com/acme/shop", "acme/shop", "github.com"),
        ("git@github.com:acme/shop.git", "acme/shop", "github.com"),
        ("ssh://git@gitlab.example.com:2222/group/sub/shop.git", "group/sub/shop",
         "gitlab.example.com"),
        ("https://gitlab.com/group/sub/shop.git", "group/sub/shop", "gitlab.com"),
        ("/srv/git/shop.git", None, None),
        ("file:///srv/git/shop.git", None, None),
        ("https://github.com/shop", None, "github.com"),
        (None, None, None),
    ],
)
def test_repository_slug(url: str | None, slug: str | None, host: str | None) -> None:
    assert repository_slug(url) == (slug, host)


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://x-access-token:ghs_abc@github.com/acme/shop.git", "https://github.com/acme/shop.git"),
        ("https://oauth2:glpat-123@gitlab.com/g/p.git", "https://gitlab.com/g/p.git"),
        ("https://user@github.com/acme/shop.git", "https://github.com/acme/shop.git"),
        ("ssh://git@github.com/acme/shop.git", "ssh://git@github.com/acme/shop.git"),
        ("git@github.com:acme/shop.git", "git@github.com:acme/shop.git"),
    ],
)
def test_credentials_are_stripped_from_remote_urls(url: str, clean: str) -> None:
    assert strip_credentials(url) == clean


def test_checkout_facts_and_credentials_never_recorded(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.txt": "x"}, remote="https://x-access-token:ghs_SECRET@github.com/acme/shop.git")
    checkout = open_checkout(repo / ".")
    assert checkout.root == repo.resolve()
    assert checkout.branch == "main"
    assert checkout.remote_url == "https://github.com/acme/shop.git"
    assert checkout.head is not None and len(checkout.head.sha) == 40
    assert checkout.head.author == "Alice Author <alice@example.com>"
    assert checkout.head.committer == "Carol Committer <carol@example.com>"
    subject, warnings = build_subject(checkout, {})
    assert subject.repository == "acme/shop" and subject.platform == "github"
    assert subject.ref == "refs/heads/main" and warnings == []
    assert "SECRET" not in str(subject.to_json())


def test_detached_head_has_no_branch(make_repo: Callable[..., Path]) -> None:
    import subprocess

    repo = make_repo({"a.txt": "x"})
    subprocess.run(["git", "checkout", "-q", "--detach"], cwd=repo, check=True)
    assert open_checkout(repo).branch is None


def test_gitlab_environment_is_the_subject(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.txt": "x"}, remote="https://gitlab.com/group/shop.git")
    checkout = open_checkout(repo)
    assert checkout.head is not None
    env = {
        "GITLAB_CI": "true", "CI_PROJECT_PATH": "group/shop", "CI_COMMIT_SHA": "f" * 40,
        "CI_COMMIT_REF_NAME": "main", "CI_COMMIT_BRANCH": "main", "CI_PIPELINE_ID": "77",
        "CI_JOB_URL": "https://gitlab.com/group/shop/-/jobs/9", "GITLAB_USER_LOGIN": "dana",
        "CI_SERVER_URL": "https://gitlab.com", "CI_PIPELINE_SOURCE": "push",
    }
    subject, warnings = build_subject(checkout, env)
    assert detect_platform(env) == "gitlab"
    assert (subject.platform, subject.repository, subject.run_id, subject.actor) == \
        ("gitlab", "group/shop", "77", "dana")
    assert subject.run_url == "https://gitlab.com/group/shop/-/jobs/9"
    assert subject.commit == checkout.head.sha
    assert warnings == [f"the CI says commit {'f' * 12} but the checkout is at "
                        f"{checkout.head.sha[:12]}; the pack describes the checkout"]


def test_plain_folder_is_a_tree_without_git(tmp_path: Path) -> None:
    tree = open_tree(tmp_path)
    assert tree.head is None and tree.tracked(["x"]) == set()
    with pytest.raises(RepositoryError):
        build_subject(tree, {})


def test_read_inside_refuses_what_leaves_the_repository(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "secret").write_text("s")
    (root / "out").symlink_to(tmp_path / "secret")
    (root / "in").symlink_to(root / "real")
    (root / "real").write_text("ok")
    (root / "dangling").symlink_to(root / "nothing")
    (root / "big").write_bytes(b"x" * 101)
    assert read_inside(root, "out", 100).problem == \
        "symlink points outside the repository; not followed"
    assert read_inside(root, "in", 100).data == b"ok"
    assert "does not resolve" in str(read_inside(root, "dangling", 100).problem)
    assert "over the 100-byte limit" in str(read_inside(root, "big", 100).problem)
    assert read_inside(root, "../secret", 100).problem == "path leaves the repository"
    assert read_inside(root, "/etc/passwd", 100).problem == "path leaves the repository"
