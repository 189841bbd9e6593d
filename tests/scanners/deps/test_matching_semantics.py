"""OSV semantics, one rule at a time: range types, events, versions lists, withdrawn, aliases,
and each ecosystem's version ordering, through a real indexed database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evidencepack.model import Severity
from evidencepack.scanners.deps.matching import VulnerabilityReport, match_components
from evidencepack.scanners.deps.model import Component
from evidencepack.scanners.deps.osv_db import open_database
from evidencepack.scanners.deps.osv_ranges import Verdict, evaluate
from evidencepack.scanners.deps.versions import VersionError, version_key

PURL = {"PyPI": "pypi", "npm": "npm", "Go": "golang", "crates.io": "cargo", "RubyGems": "gem",
        "Maven": "maven", "NuGet": "nuget", "Packagist": "composer"}


def advisory(id_: str, eco: str, name: str, *, events: list[dict[str, str]] | None = None,
             kind: str = "ECOSYSTEM", versions: list[str] | None = None,
             **extra: Any) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": eco, "name": name}}
    if events is not None:
        affected["ranges"] = [{"type": kind, "events": events}]
    if versions is not None:
        affected["versions"] = versions
    return {"id": id_, "modified": "2026-11-01T00:00:00Z", "affected": [affected], **extra}


def scan(tmp_path: Path, advisories: list[dict[str, Any]],
         packages: list[tuple[str, str, str]]) -> VulnerabilityReport:
    db_dir = tmp_path / "db"
    db_dir.mkdir(exist_ok=True)
    for a in advisories:
        (db_dir / f"{a['id']}.json").write_text(json.dumps(a), encoding="utf-8")
    db = open_database(db_dir, tmp_path / "cache")
    components = [Component(eco, name, version, f"pkg:{PURL.get(eco, 'generic')}/{name}@{version}",
                            "lock") for eco, name, version in packages]
    return match_components(components, db, scanned_at="2026-11-26T00:00:00Z")


def hits(report: VulnerabilityReport) -> set[tuple[str, str]]:
    return {(v.id, v.version) for v in report.vulnerabilities}


def test_multiple_introduced_fixed_pairs_and_zero(tmp_path: Path) -> None:
    a = advisory("GHSA-aaaa-bbbb-cccc", "PyPI", "Django", events=[
        {"introduced": "0"}, {"fixed": "1.11.29"}, {"introduced": "2.2"}, {"fixed": "2.2.13"},
        {"introduced": "3.0"}, {"fixed": "3.0.7"}])
    versions = ["1.0", "1.11.28", "1.11.29", "2.0", "2.2", "2.2.12", "2.2.13", "3.0rc1",
                "3.0", "3.0.7", "4.0"]
    report = scan(tmp_path, [a], [("PyPI", "django", v) for v in versions])
    assert {v for _, v in hits(report)} == {"1.0", "1.11.28", "2.2", "2.2.12", "3.0"}


def test_last_affected_is_inclusive_and_limit_caps(tmp_path: Path) -> None:
    last = advisory("GHSA-last-0001-0001", "npm", "left-pad",
                    events=[{"introduced": "1.0.0"}, {"last_affected": "1.3.0"}], kind="SEMVER")
    limit = advisory("GHSA-limt-0001-0001", "npm", "right-pad",
                     events=[{"introduced": "0"}, {"limit": "2.0.0"}], kind="SEMVER")
    report = scan(tmp_path, [last, limit], [
        ("npm", "left-pad", "0.9.0"), ("npm", "left-pad", "1.3.0"), ("npm", "left-pad", "1.3.1"),
        ("npm", "right-pad", "1.9.9"), ("npm", "right-pad", "2.0.0"), ("npm", "right-pad", "3.0.0")])
    assert hits(report) == {("GHSA-last-0001-0001", "1.3.0"), ("GHSA-limt-0001-0001", "1.9.9")}


def test_explicit_versions_list_without_ranges(tmp_path: Path) -> None:
    a = advisory("PYSEC-2026-1", "PyPI", "pkg", versions=["1.0", "1.2"])
    report = scan(tmp_path, [a], [("PyPI", "pkg", "1.0"), ("PyPI", "pkg", "1.1"),
                                  ("PyPI", "pkg", "1.2")])
    assert {v for _, v in hits(report)} == {"1.0", "1.2"}


def test_git_ranges_match_commits_only_where_the_data_decides(tmp_path: Path) -> None:
    intro, fixed, other = "a" * 40, "b" * 40, "c" * 40
    a = advisory("OSV-2026-1", "crates.io", "gitdep",
                 events=[{"introduced": intro}, {"fixed": fixed}], kind="GIT",
                 versions=["0.3.0"])
    report = scan(tmp_path, [a], [("crates.io", "gitdep", intro), ("crates.io", "gitdep", fixed),
                                  ("crates.io", "gitdep", other), ("crates.io", "gitdep", "0.3.0"),
                                  ("crates.io", "gitdep", "0.4.0")])
    assert hits(report) == {("OSV-2026-1", intro), ("OSV-2026-1", "0.3.0")}
    # A commit in between cannot be placed without the repository's history: said, not hidden.
    undecided = {u.purl: u for u in report.not_comparable}
    assert f"pkg:cargo/gitdep@{other}" in undecided
    assert "history" in undecided[f"pkg:cargo/gitdep@{other}"].reason


def test_withdrawn_advisories_are_skipped(tmp_path: Path) -> None:
    a = advisory("GHSA-wwww-wwww-wwww", "PyPI", "pkg", events=[{"introduced": "0"}],
                 withdrawn="2026-10-01T00:00:00Z")
    b = advisory("GHSA-kept-kept-kept", "PyPI", "pkg", events=[{"introduced": "0"}])
    assert hits(scan(tmp_path, [a, b], [("PyPI", "pkg", "1.0")])) == {("GHSA-kept-kept-kept", "1.0")}


def test_aliases_merge_into_one_finding_with_a_stable_primary(tmp_path: Path) -> None:
    ghsa = advisory("GHSA-8888-9999-aaaa", "PyPI", "requests", events=[
        {"introduced": "0"}, {"fixed": "2.20.0"}], aliases=["CVE-2018-18074"],
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}])
    pysec = advisory("PYSEC-2018-28", "PyPI", "requests", events=[
        {"introduced": "0"}, {"fixed": "2.20.0"}], aliases=["CVE-2018-18074", "GHSA-8888-9999-aaaa"])
    other = advisory("PYSEC-2023-74", "PyPI", "requests", events=[{"introduced": "2.3.0"},
                                                                  {"fixed": "2.31.0"}])
    report = scan(tmp_path, [pysec, ghsa, other], [("PyPI", "Requests", "2.19.0"),
                                                   ("PyPI", "requests", "2.19.0")])
    assert len(report.vulnerabilities) == 2
    merged = next(v for v in report.vulnerabilities if v.id == "GHSA-8888-9999-aaaa")
    assert merged.aliases == ("CVE-2018-18074", "PYSEC-2018-28")
    assert merged.advisories == ("GHSA-8888-9999-aaaa", "PYSEC-2018-28")
    assert merged.severity is Severity.HIGH and merged.rating.score == 7.5
    assert merged.fixed == ("2.20.0",)


@pytest.mark.parametrize(("eco", "low", "high"), [
    ("PyPI", "1.0rc1", "1.0"), ("PyPI", "1.0.post1", "1.1.dev0"), ("PyPI", "1!0.1", "1!0.2"),
    ("npm", "1.0.0-alpha", "1.0.0-alpha.1"), ("npm", "1.0.0-rc.1", "1.0.0"),
    ("crates.io", "0.9.9", "0.10.0"),
    ("Go", "v0.0.0-20200101000000-aaaaaaaaaaaa", "v0.0.0-20210101000000-000000000000"),
    ("Go", "v1.2.4-0.20200101000000-aaaaaaaaaaaa", "v1.2.4"),
    ("Go", "v2.0.0+incompatible", "v2.1.0+incompatible"),
    ("RubyGems", "1.0.0.pre", "1.0.0"), ("RubyGems", "1.9", "1.10"),
    ("Maven", "1.0-SNAPSHOT", "1.0"), ("Maven", "1.0-alpha-1", "1.0-beta-1"),
    ("Maven", "2.0.RC1", "2.0"),
    ("NuGet", "1.0.0-beta", "1.0.0"), ("NuGet", "1.0.0.1", "1.0.1"),
    ("Packagist", "1.0.0-RC1", "1.0.0"), ("Packagist", "v2.9.0", "2.10.0"),
])
def test_each_ecosystem_orders_its_own_versions(eco: str, low: str, high: str) -> None:
    assert version_key(eco, low) < version_key(eco, high)


@pytest.mark.parametrize(("eco", "text"), [("PyPI", "1.0-foo-bar!"), ("npm", "latest"),
                                           ("Go", "master"), ("crates.io", "")])
def test_invalid_versions_are_refused(eco: str, text: str) -> None:
    with pytest.raises(VersionError):
        version_key(eco, text)


def test_not_comparable_is_reported_never_silently_clean(tmp_path: Path) -> None:
    a = advisory("GHSA-inva-lid0-0001", "npm", "lodash",
                 events=[{"introduced": "0"}, {"fixed": "4.17.21"}], kind="SEMVER")
    report = scan(tmp_path, [a], [("npm", "lodash", "github:lodash/lodash#master"),
                                  ("Hex", "plug", "1.0.0")])
    assert report.vulnerabilities == ()
    assert [u.purl for u in report.not_comparable] == ["pkg:npm/lodash@github:lodash/lodash#master"]
    assert report.not_comparable[0].advisories == ("GHSA-inva-lid0-0001",)
    assert [u.purl for u in report.unknown_ecosystem] == ["pkg:generic/plug@1.0.0"]


def test_ecosystem_suffix_is_ignored_and_names_are_normalized(tmp_path: Path) -> None:
    """Through the index and the matcher, where the suffix and the name are handled."""
    a = advisory("PYSEC-2026-9", "PyPI:extra", "Foo_Bar", events=[{"introduced": "0"}, {"fixed": "2"}])
    report = scan(tmp_path, [a], [("PyPI", "foo-bar", "1.5"), ("PyPI", "FOO.bar", "2")])
    assert hits(report) == {("PYSEC-2026-9", "1.5")}


def test_malformed_event_is_undetermined() -> None:
    entry = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}]}
    assert evaluate(entry, "PyPI", "0.5").verdict is Verdict.UNDETERMINED
