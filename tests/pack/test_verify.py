"""Packs verify, and every kind of tampering is caught and named."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from evidencepack.errors import VerificationError
from evidencepack.pack.dsse import PAYLOAD_TYPE, pae
from evidencepack.pack.signing import generate_keypair
from evidencepack.pack.verify import verify_pack
from evidencepack.run import RunOutcome

LAYOUT = {
    "manifest.json",
    "attestation.dsse.json",
    "controls/results.json",
    "oscal/assessment-results.json",
    "report.html",
}


def _copy(pack: RunOutcome, tmp_path: Path) -> Path:
    target = tmp_path / "copy" / pack.pack.pack_id
    shutil.copytree(pack.pack.directory, target)
    return target


def test_pack_has_the_design_layout(built_pack: RunOutcome) -> None:
    root = built_pack.pack.directory
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert files >= LAYOUT
    assert all(f in LAYOUT or f.startswith("evidence/") for f in files)
    assert (root.parent / f"{root.name}.tar.gz").is_file()
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["pack_id"] == built_pack.pack.pack_id
    assert manifest["subject"]["repository"] == "acme/shop"
    assert set(manifest["controls"]) == {r.control_id for r in built_pack.results}
    listed = {f["path"] for f in manifest["files"]}
    assert listed == files - {"manifest.json", "attestation.dsse.json"}


def test_statement_subjects_are_every_other_file(built_pack: RunOutcome) -> None:
    root = built_pack.pack.directory
    envelope = json.loads((root / "attestation.dsse.json").read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    names = {s["name"] for s in statement["subject"]}
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert names == files - {"attestation.dsse.json"}


def test_fresh_pack_verifies_as_directory_and_archive(built_pack: RunOutcome) -> None:
    key = built_pack.store.keys_dir / "signing.pub" if built_pack.store else None
    for target in (built_pack.pack.directory, built_pack.pack.archive):
        result = verify_pack(target, key)
        assert result.ok, result.problems
        assert result.key_pinned
        assert result.files_checked >= len(LAYOUT) - 1


def test_signature_verifies_with_openssl_on_the_pae(built_pack: RunOutcome, tmp_path: Path) -> None:
    root = built_pack.pack.directory
    envelope = json.loads((root / "attestation.dsse.json").read_text())
    body = base64.b64decode(envelope["payload"])
    (tmp_path / "pae.bin").write_bytes(pae(PAYLOAD_TYPE, body))
    (tmp_path / "sig.der").write_bytes(base64.b64decode(envelope["signatures"][0]["sig"]))
    assert built_pack.store is not None
    pub = built_pack.store.keys_dir / "signing.pub"
    ok = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(pub), "-signature",
         str(tmp_path / "sig.der"), str(tmp_path / "pae.bin")],
        capture_output=True, text=True, check=False,
    )
    assert ok.returncode == 0 and "Verified OK" in ok.stdout
    (tmp_path / "pae.bin").write_bytes(pae(PAYLOAD_TYPE, body + b" "))
    bad = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(pub), "-signature",
         str(tmp_path / "sig.der"), str(tmp_path / "pae.bin")],
        capture_output=True, text=True, check=False,
    )
    assert bad.returncode != 0


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda p: (p / "report.html").write_text("<p>all green</p>"), "report.html: content changed"),
        (lambda p: (p / "controls" / "results.json").unlink(), "controls/results.json: missing"),
        (lambda p: (p / "evidence" / "extra.txt").write_text("x"), "evidence/extra.txt: extra file"),
        (lambda p: (p / "evidence" / "pipeline" / "analysis.json").write_text("{}"),
         "evidence/pipeline/analysis.json: content changed"),
    ],
    ids=["edited", "missing", "extra", "evidence-edited"],
)
def test_tampering_is_named(built_pack: RunOutcome, tmp_path: Path, tamper, expected: str) -> None:  # type: ignore[no-untyped-def]
    copy = _copy(built_pack, tmp_path)
    tamper(copy)
    result = verify_pack(copy)
    assert not result.ok
    assert any(expected in p for p in result.problems), result.problems


def test_manifest_change_is_caught_even_if_consistent(built_pack: RunOutcome, tmp_path: Path) -> None:
    copy = _copy(built_pack, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["controls"]["CM-1"] = "pass"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    result = verify_pack(copy)
    assert any(p.startswith("manifest.json: content changed") for p in result.problems)


def test_forged_statement_fails_the_signature(built_pack: RunOutcome, tmp_path: Path) -> None:
    copy = _copy(built_pack, tmp_path)
    (copy / "report.html").write_text("forged")
    envelope = json.loads((copy / "attestation.dsse.json").read_text())
    body = base64.b64decode(envelope["payload"]).decode()
    old = next(line for line in body.splitlines() if '"report.html"' in line)
    import hashlib

    new_digest = hashlib.sha256(b"forged").hexdigest()
    forged = body.replace(old.split('"sha256": "')[1][:64], new_digest)
    envelope["payload"] = base64.b64encode(forged.encode()).decode()
    (copy / "attestation.dsse.json").write_text(json.dumps(envelope))
    result = verify_pack(copy)
    assert any("signature does not verify" in p for p in result.problems)
    assert not any(p.startswith("report.html") for p in result.problems)


def test_wrong_key_fails(built_pack: RunOutcome, tmp_path: Path) -> None:
    other = generate_keypair(tmp_path / "o.key", tmp_path / "o.pub")
    result = verify_pack(built_pack.pack.directory, other.public)
    assert not result.ok
    assert any("signature does not verify" in p for p in result.problems)


def test_missing_attestation(built_pack: RunOutcome, tmp_path: Path) -> None:
    copy = _copy(built_pack, tmp_path)
    (copy / "attestation.dsse.json").unlink()
    result = verify_pack(copy)
    assert result.problems == ("attestation.dsse.json is missing: the pack is not signed",)


def test_symlink_inside_pack_is_a_problem(built_pack: RunOutcome, tmp_path: Path) -> None:
    copy = _copy(built_pack, tmp_path)
    (copy / "evidence" / "link").symlink_to("/etc/passwd")
    result = verify_pack(copy)
    assert any("symbolic link" in p for p in result.problems)


def _archive(tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ([_file("pack/manifest.json"), _file("pack/../../escaped.txt")], "escapes"),
        ([_file("/etc/evidencepack-owned")], "escapes"),
        ([_file("pack/manifest.json"), _file("other/x")], "one top-level"),
    ],
    ids=["dotdot", "absolute", "two-roots"],
)
def test_hostile_archives_are_refused(tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes]],
                                      reason: str) -> None:
    archive = _archive(tmp_path, members)
    with pytest.raises(VerificationError, match=reason):
        verify_pack(archive)
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_symlink_member_is_refused(tmp_path: Path) -> None:
    link = tarfile.TarInfo("pack/evidence/x")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    archive = _archive(tmp_path, [_file("pack/manifest.json"), (link, b"")])
    with pytest.raises(VerificationError, match="link or special file"):
        verify_pack(archive)


def test_not_an_archive(tmp_path: Path) -> None:
    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(b"not gzip")
    with pytest.raises(VerificationError, match="not a readable"):
        verify_pack(bogus)


def test_archive_is_reproducible(built_pack: RunOutcome, tmp_path: Path) -> None:
    from evidencepack.pack.archive import write_archive

    again = tmp_path / "again.tar.gz"
    write_archive(built_pack.pack.directory, again, int(built_pack.pack.content.created_at and 1795685400))
    first = tmp_path / "first.tar.gz"
    write_archive(built_pack.pack.directory, first, 1795685400)
    assert again.read_bytes() == first.read_bytes()
