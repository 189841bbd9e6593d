"""The offline database: index once, reuse, archives read safely, freshness, severity."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from evidencepack.model import Severity
from evidencepack.scanners.deps.osv_db import DatabaseError, open_database
from evidencepack.scanners.deps.severity import cvss_score, rate

OSV = Path(__file__).resolve().parents[4] / "shared" / "data" / "osv"
GO_FILES = sorted((OSV / "go" / "vulns").glob("GO-2024-*.json"))[:40]


def _all_zip(path: Path, files: list[Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    return path


def test_all_zip_is_indexed_once_and_reused(tmp_path: Path) -> None:
    db_dir = tmp_path / "osv" / "Go"
    db_dir.mkdir(parents=True)
    _all_zip(db_dir / "all.zip", GO_FILES)
    cache = tmp_path / "cache"
    first = open_database(tmp_path / "osv", cache)
    assert first.info.index_built and first.info.advisories == len(GO_FILES)
    newest = max(json.loads(f.read_text())["modified"] for f in GO_FILES)
    assert first.info.newest_modified == newest.split(".")[0].replace("Z", "") + "Z"
    again = open_database(tmp_path / "osv", cache)
    assert not again.info.index_built and again.info.index == first.info.index
    # A changed database is indexed again, under a new key.
    (db_dir / "extra.json").write_text(GO_FILES[0].read_text())
    changed = open_database(tmp_path / "osv", cache)
    assert changed.info.index_built and changed.info.index != first.info.index
    # The index of the earlier state is removed, not left to pile up.
    assert sorted(p.name for p in cache.glob("osv-*.sqlite")) == [Path(changed.info.index).name]
    sample = json.loads(GO_FILES[0].read_text())
    pkg = sample["affected"][0]["package"]
    assert sample["id"] in {a["id"] for a in changed.advisories("Go", pkg["name"])}


def test_yaml_and_json_trees_at_any_depth(tmp_path: Path) -> None:
    db = open_database(OSV / "npm", tmp_path)
    assert db.info.advisories == 22
    pypi = sorted((OSV / "pypi" / "vulns").rglob("*.yaml"))[:30]
    tree = tmp_path / "tree" / "a" / "b"
    tree.mkdir(parents=True)
    for f in pypi:
        (tree / f.name).write_bytes(f.read_bytes())
    (tree / "broken.json").write_text("{not json")
    (tree / "other.json").write_text('{"hello": 1}')
    mixed = open_database(tmp_path / "tree", tmp_path / "cache")
    assert mixed.info.advisories == 30
    assert mixed.info.skipped_count == 2
    assert any("broken.json: invalid JSON" in s for s in mixed.info.skipped)


@pytest.mark.parametrize("name", ["../../evil.json", "/etc/evil.json", "a/../../evil.json",
                                  "c:/evil.json", "a\\..\\evil.json"])
def test_traversal_names_refuse_the_archive(tmp_path: Path, name: str) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("GO-1.json", GO_FILES[0].read_text())
        zf.writestr(zipfile.ZipInfo(name), GO_FILES[1].read_text())
    with pytest.raises(DatabaseError, match="outside the archive: refused as hostile"):
        open_database(archive, tmp_path / "cache")
    assert not (tmp_path.parent / "evil.json").exists()


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("GO-1.json", b"{" + b" " * (20 * 1024 * 1024) + b"}")
    with pytest.raises(DatabaseError, match="refused as a zip bomb"):
        open_database(archive, tmp_path / "cache")
    huge = tmp_path / "huge.zip"
    with zipfile.ZipFile(huge, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("GO-2.json", b" " * (40 * 1024 * 1024))
    with pytest.raises(DatabaseError, match="more than an advisory can be: refused as a zip bomb"):
        open_database(huge, tmp_path / "cache")


def test_symlink_members_and_lying_headers_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("GO-1.json")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(DatabaseError, match="symbolic link"):
        open_database(archive, tmp_path / "cache")
    lying = tmp_path / "lying.zip"
    with zipfile.ZipFile(lying, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("GO-1.json", GO_FILES[0].read_bytes())
    data = bytearray(lying.read_bytes())
    size = len(GO_FILES[0].read_bytes())
    # Shrink the declared size in the central directory: the member holds more than it says.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (size // 2).to_bytes(4, "little")
    lying.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match=r"lying\.zip"):
        open_database(lying, tmp_path / "cache")


def test_unreadable_or_empty_database_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="cannot read the advisory database"):
        open_database(tmp_path / "missing", tmp_path / "cache")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatabaseError, match="no OSV advisory files"):
        open_database(tmp_path / "empty", tmp_path / "cache")
    (tmp_path / "not.zip").write_bytes(b"PK but not really")
    with pytest.raises(DatabaseError, match="not a readable zip archive"):
        open_database(tmp_path / "not.zip", tmp_path / "cache")


def test_index_cache_that_cannot_be_written_is_an_error(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.write_text("a file, not a folder")
    with pytest.raises(DatabaseError, match="cannot write the advisory index"):
        open_database(OSV / "npm", cache)
    assert os.path.isfile(cache)


@pytest.mark.parametrize(("kind", "vector", "score"), [
    ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ("CVSS_V3", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
    ("CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
    ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3),
    ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", 8.7),
])
def test_cvss_base_scores_of_known_vectors(kind: str, vector: str, score: float) -> None:
    assert cvss_score(kind, vector) == score


def test_rating_prefers_v4_then_v3_then_the_advisory_label() -> None:
    v3 = {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"}
    v4 = {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}
    assert rate({"severity": [v3, v4]}).severity is Severity.CRITICAL
    assert rate({"severity": [v3]}).severity is Severity.LOW
    labelled = {"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/garbage"}],
                "database_specific": {"severity": "MODERATE"}}
    assert rate(labelled).severity is Severity.MEDIUM
    assert rate(labelled).basis == "database_specific.severity MODERATE"
    assert rate({}).severity is None and rate({}).basis == "unknown"


def test_real_advisory_with_a_v4_vector(tmp_path: Path) -> None:
    path = next(p for p in sorted((OSV / "crates.io" / "vulns").glob("*.json"))
                if "CVSS_V4" in p.read_text())
    record = json.loads(path.read_text())
    rating = rate(record)
    vector = next(s["score"] for s in record["severity"] if s["type"] == "CVSS_V4")
    assert rating.score == cvss_score("CVSS_V4", vector) and rating.basis.startswith(vector)
