"""The change record: each change's twelve auditor questions, judged as CM-2 judges them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from evidencepack.changes import (
    ApprovalRecord,
    ChangeRecord,
    change_record_note,
    change_records,
    changes_document,
)
from evidencepack.controls.base import EVIDENCE_CHANGES, Evidence
from evidencepack.controls.registry import control, evaluate
from evidencepack.model import Location, Subject
from evidencepack.policy import Approvals, Policy, default_policy
from evidencepack.scanners.pipeline.model import (
    Capability,
    CapabilityKind,
    DeployJob,
    PipelineAnalysis,
)
from evidencepack.sources.platform import (
    BranchRules,
    Change,
    Check,
    DeployEnvironment,
    PlatformEvidence,
    Review,
    Unavailable,
)

RUN_AT = "2026-11-26T09:30:00Z"
REVIEWED_AT = "2026-11-20T11:00:00Z"
MERGED_AT = "2026-11-20T12:00:00Z"
HEAD = "a" * 40
OLDER = "b" * 40
BASE = "c" * 40
PUSHED = "d" * 40
WORKFLOW = ".github/workflows/ci.yml"


def _change(number: int | None, *, reviews: tuple[Review, ...] = (), head: str = HEAD,
            merged_at: str | None = MERGED_AT, labels: tuple[str, ...] = (),
            commit: str | None = None) -> Change:
    first = commit or f"{number or 0:040x}"
    if number is None:
        return Change(commit=first, request=None, authors=("dave@example.com",),
                      committers=("dave@example.com",), commits=(first,))
    return Change(
        commit=first, request=number, url=f"https://github.com/acme/shop/pull/{number}",
        title=f"PLAT-{number} change {number}", ticket=f"PLAT-{number}", opened_by="alice",
        authors=("alice",), committers=("alice",), reviews=reviews, head_commit=head,
        merged_by="carol", merged_at=merged_at, merge_commit=head, labels=labels,
        checks=(Check("test", "completed", "success"), Check("lint", "in_progress", None)),
        commits=(first, head),
    )


def _approval(who: str, *, on: str = HEAD, at: str = REVIEWED_AT,
              state: str = "APPROVED") -> Review:
    return Review(reviewer=who, state=state, submitted_at=at, commit=on)


def _platform(*changes: Change) -> PlatformEvidence:
    return PlatformEvidence(
        platform="github", repository="acme/shop", api_url="https://api.github.com",
        branch_rules=(BranchRules("main", protected=True, sources=("classic", "ruleset:42 main"),
                                  required_approvals=1, dismiss_stale_reviews=True,
                                  require_code_owner_review=True,
                                  bypass_actors=("OrganizationAdmin",)),),
        change_range=(BASE, HEAD),
        changes=changes,
        environments=(DeployEnvironment("production", required_reviewers=("carol",)),),
        deploy_approvals=(Review("carol", "APPROVED production", None, None),),
    )


def _pipeline() -> PipelineAnalysis:
    where = Location(WORKFLOW, 30)
    return PipelineAnalysis(
        files=(),
        capabilities=(
            Capability(CapabilityKind.SECRET_SCAN, where, "gitleaks", f"{WORKFLOW}#scan"),
            Capability(CapabilityKind.SBOM, where, "syft", f"{WORKFLOW}#scan"),
        ),
        deploy_jobs=(DeployJob(f"{WORKFLOW}#deploy", where, "environment production",
                               "production", None),),
    )


def _evidence(*changes: Change, policy: Policy | None = None) -> Evidence:
    return Evidence(
        subject=Subject(repository="acme/shop", commit=HEAD, branch="main", platform="github",
                        run_id="4242",
                        run_url="https://github.com/acme/shop/actions/runs/4242"),
        policy=policy or default_policy(), today=date(2026, 11, 26), pipeline=_pipeline(),
        platform=_platform(*changes),
    )


def _one(change: Change, policy: Policy | None = None) -> ChangeRecord:
    (record,) = change_records(_evidence(change, policy=policy), RUN_AT)
    return record


def _policy(**approvals: object) -> Policy:
    return replace(default_policy(), approvals=replace(Approvals(), **approvals))


def test_a_counted_approval_on_the_merged_commit_before_the_merge() -> None:
    record = _one(_change(7, reviews=(_approval("bob"),)))
    assert record.request == 7 and record.url == "https://github.com/acme/shop/pull/7"
    assert record.ticket == "PLAT-7"
    assert record.authors == ("alice",) and record.opened_by == "alice"
    assert record.reviewed_commit == record.merged_commit == HEAD
    assert record.approvals == (ApprovalRecord("bob", REVIEWED_AT, HEAD, True, None),)
    assert record.merger == "carol" and record.merged_at == MERGED_AT
    assert record.ordering == ("approved 2026-11-20T11:00Z < merged 2026-11-20T12:00Z < "
                               "deployed by this run 2026-11-26T09:30Z")
    assert record.ordered
    assert record.exceptions == ()


def test_the_same_facts_for_every_change_of_the_run() -> None:
    record = _one(_change(7, reviews=(_approval("bob"),)))
    assert record.branch_rules == (
        "main: protected by classic, ruleset:42 main; 1 approval(s) required; code-owner review "
        "required; stale approvals dismissed on push; bypass: OrganizationAdmin")
    # Checks are sorted by name; one still running shows its status.
    assert record.checks == (("lint", "in_progress"), ("test", "success"))
    assert record.scans == (("secret-scan", f"gitleaks ({WORKFLOW}#scan)"),
                            ("dependency-scan", "not declared in the pipeline"),
                            ("sbom", f"syft ({WORKFLOW}#scan)"))
    deploy = record.deploy
    assert deploy.environments == ("production",)
    assert deploy.required_reviewers == (("production", ("carol",)),)
    assert deploy.approvals == ("carol APPROVED production",)
    assert (deploy.run_id, deploy.run_url) == ("4242",
                                               "https://github.com/acme/shop/actions/runs/4242")


def test_a_self_approval_is_listed_but_not_counted() -> None:
    record = _one(_change(8, reviews=(_approval("alice"),)))
    (approval,) = record.approvals
    assert not approval.counted
    assert approval.why_not == "alice approved but is an author, committer or the opener"
    assert record.exceptions == ("0 of 1 required approval(s) counted: alice approved but is an "
                                 "author, committer or the opener",)
    assert not record.ordered
    assert record.ordering.startswith("no counted approval; merged 2026-11-20T12:00Z <")


def test_a_stale_approval_does_not_count_unless_the_policy_allows_it() -> None:
    change = _change(9, reviews=(_approval("bob", on=OLDER),))
    record = _one(change)
    assert not record.approvals[0].counted
    assert "(stale approval)" in (record.approvals[0].why_not or "")
    assert record.exceptions[0].startswith("0 of 1 required approval(s) counted: bob approved "
                                           f"{OLDER[:12]}, not the merged head")
    allowed = _one(change, _policy(allow_stale=True))
    assert allowed.approvals[0].counted and allowed.ordered
    assert allowed.exceptions == (f"stale approval by bob on {OLDER[:12]}, not the merged head "
                                  f"{HEAD[:12]}: counted because the policy allows stale "
                                  "approvals",)


def test_a_direct_push_is_an_exception_without_an_order() -> None:
    record = _one(_change(None, commit=PUSHED))
    assert record.request is None and record.url is None
    assert record.reviewed_commit is None and record.merged_commit == PUSHED
    assert record.approvals == () and record.merger is None
    assert record.exceptions == ("no pull or merge request: the commit reached the branch "
                                 "directly",)
    assert not record.ordered
    assert record.ordering == ("pushed directly, no approval or merge to order; deployed by "
                               "this run 2026-11-26T09:30Z")


def test_an_emergency_label_is_a_recorded_exception() -> None:
    record = _one(_change(10, labels=("hotfix",)), _policy(emergency_label="hotfix"))
    assert record.exceptions == (
        "0 of 1 required approval(s) counted: no approval was given",
        "emergency label 'hotfix': a recorded exception that needs a later review",
    )


def test_an_approval_at_the_moment_of_the_merge_is_not_before_it() -> None:
    # assess() counts it (not *after* the merge), but the order approval < merge is not shown.
    record = _one(_change(11, reviews=(_approval("bob", at=MERGED_AT),)))
    assert record.approvals[0].counted
    assert not record.ordered
    assert record.ordering.startswith("approved 2026-11-20T12:00Z = merged 2026-11-20T12:00Z <")


def test_an_approval_after_the_merge_is_not_counted() -> None:
    record = _one(_change(12, reviews=(_approval("bob", at="2026-11-20T12:30:15Z"),)))
    assert record.approvals[0].why_not == "bob approved after the merge"
    assert not record.ordered


def test_a_merge_after_this_run_breaks_the_order() -> None:
    record = _one(_change(13, reviews=(_approval("bob"),), merged_at="2026-11-27T08:00:00Z"))
    assert record.approvals[0].counted
    assert not record.ordered
    assert record.ordering == ("approved 2026-11-20T11:00Z < merged 2026-11-27T08:00Z > "
                               "deployed by this run 2026-11-26T09:30Z")


def test_times_in_other_notations_are_compared_as_instants() -> None:
    # GitLab writes milliseconds and offsets: 12:30+02:00 is 10:30Z, before the 11:00Z merge.
    change = _change(14, reviews=(_approval("bob", at="2026-11-20T12:30:00.000+02:00"),),
                     merged_at="2026-11-20T11:00:00.000Z")
    record = _one(change)
    assert record.ordered
    assert record.ordering.startswith("approved 2026-11-20T10:30Z < merged 2026-11-20T11:00Z")


def test_a_withdrawn_approval_is_listed_with_what_replaced_it() -> None:
    reviews = (_approval("bob"), _approval("bob", state="CHANGES_REQUESTED",
                                           at="2026-11-20T11:30:00Z"), _approval("erin"))
    record = _one(_change(15, reviews=reviews))
    assert [(a.reviewer, a.counted, a.why_not) for a in record.approvals] == [
        ("bob", False, "withdrawn: bob's later review is CHANGES_REQUESTED"),
        ("erin", True, None),
    ]


def test_the_record_and_cm2_give_the_same_verdict() -> None:
    changes = (_change(7, reviews=(_approval("bob"),)), _change(8, reviews=(_approval("alice"),)),
               _change(9, reviews=(_approval("bob", on=OLDER),)), _change(None, commit=PUSHED))
    evidence = _evidence(*changes)
    records = change_records(evidence, RUN_AT)
    result = evaluate(control("CM-2"), evidence)
    assert result.status == "fail"
    messages = " ".join(f.message for f in result.findings)
    for record in records:
        for approval in record.approvals:
            if approval.why_not:
                assert approval.why_not in messages
    assert {r.request for r in records if not r.exceptions} == {7}
    assert EVIDENCE_CHANGES in result.evidence


def test_no_record_without_the_platform_or_its_review_history() -> None:
    evidence = _evidence(_change(7))
    bare = replace(evidence, platform=None)
    assert change_records(bare, RUN_AT) == ()
    note = change_record_note(bare)
    assert note is not None and note.startswith("The change record needs a GitHub token "
                                                "(GITHUB_TOKEN, GH_TOKEN or --github-token)")
    failed = replace(bare, platform_error="the repository's path on the platform is unknown")
    assert change_record_note(failed) == ("The change record was not built: the repository's "
                                          "path on the platform is unknown.")
    unread = replace(evidence, platform=replace(
        _platform(), changes=None,
        unavailable=(Unavailable("pull requests of commit abc", "403 Forbidden",
                                 "pull_requests=read"),)))
    assert change_records(unread, RUN_AT) == ()
    assert "pull_requests=read" in (change_record_note(unread) or "")
    assert change_record_note(_evidence()) == f"This deploy brings in no change since commit {BASE[:12]}."
    assert change_record_note(evidence) is None


@pytest.mark.parametrize("change", [_change(7, reviews=(_approval("bob"),)), _change(None, commit=PUSHED)])
def test_the_json_document_is_plain_and_deterministic(change: Change) -> None:
    evidence = _evidence(change)
    first = changes_document(evidence, change_records(evidence, RUN_AT), RUN_AT)
    again = changes_document(evidence, change_records(evidence, RUN_AT), RUN_AT)
    text = json.dumps(first, sort_keys=True)
    assert text == json.dumps(again, sort_keys=True)
    assert first["range"] == {"base": BASE, "head": HEAD}
    (entry,) = first["changes"]
    assert set(entry) >= {"url", "ticket", "authors", "reviewed_commit", "merged_commit",
                          "approvals", "merger", "branch_rules", "checks", "scans", "deploy",
                          "ordering", "ordered", "exceptions"}
