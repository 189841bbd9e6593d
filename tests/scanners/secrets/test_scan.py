"""Scans of a tree, a range and the history; skips counted; nothing found ever written out."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidencepack.cli import main
from evidencepack.errors import InputError
from evidencepack.scanners.secrets import scan as scan_module
from evidencepack.scanners.secrets.scan import scan_history, scan_tree
from evidencepack.sources.repository import open_checkout

# A classic GitHub token with a valid checksum, built for this test (never a real token).
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _github_token(seed: int) -> str:
    import random
    import zlib

    rng = random.Random(seed)
    body = "".join(rng.choice(_ALPHABET) for _ in range(30))
    crc = zlib.crc32(body.encode())
    digits = ""
    while crc:
        crc, rest = divmod(crc, 62)
        digits = _ALPHABET[rest] + digits
    return f"ghp_{body}{digits.rjust(6, '0')}"


TOKEN = _github_token(7)
AWS_ID = "AKIA" + "QX7Z2M4N6P5R3T5V"


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "Mallory", "GIT_AUTHOR_EMAIL": "mallory@example.com",
           "GIT_COMMITTER_NAME": "Mallory", "GIT_COMMITTER_EMAIL": "mallory@example.com",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_tree_scan_finds_redacts_and_counts_skips(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(f"token = {_github_token(9)}\n")
    repo = make_repo({
        "app/settings.py": f'GITHUB_TOKEN = "{TOKEN}"\n',
        "package-lock.json": f'{{"token": "{_github_token(3)}"}}\n',
        "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00" + TOKEN.encode(),
        "big.txt": "x" * 200 + "\n",
    })
    (repo / "link.txt").symlink_to(outside)
    result = scan_tree(repo, max_bytes=100)
    assert [(f.rule, f.path, f.line) for f in result.findings] == [
        ("github-pat-classic", "app/settings.py", 1)]
    finding = result.findings[0]
    assert finding.preview == f"{TOKEN[:4]}…({len(TOKEN)} chars)"
    assert result.skipped == {"lockfile": 1, "binary": 1, "over the size limit": 1, "symlink": 1}
    assert TOKEN not in json.dumps(result.to_json())


def test_secret_committed_then_removed(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"README.md": "hello\n"})
    base = _git(repo, "rev-parse", "HEAD")
    (repo / "deploy.sh").write_text(f"export AWS_ACCESS_KEY_ID={AWS_ID}\necho deploy\n")
    _git(repo, "add", "deploy.sh")
    _git(repo, "commit", "-qm", "add deploy")
    leak = _git(repo, "rev-parse", "HEAD")
    (repo / "deploy.sh").write_text("echo deploy\n")
    _git(repo, "commit", "-qam", "remove key")
    checkout = open_checkout(repo)
    assert scan_tree(repo).findings == ()
    for result in (scan_history(checkout, None), scan_history(checkout, base)):
        (finding,) = result.findings
        assert (finding.path, finding.line, finding.commit) == ("deploy.sh", 1, leak)
        assert finding.author == "Mallory <mallory@example.com>"
    assert scan_history(checkout, leak).findings == ()


def test_inline_allow_comment_needs_a_reason(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({
        "a.py": f'T = "{TOKEN}"  # evidencepack:allow-secret fixture for the parser tests\n',
        "b.py": f'T = "{_github_token(11)}"  # evidencepack:allow-secret\n',
    })
    by_path = {f.path: f for f in scan_tree(repo).findings}
    assert by_path["a.py"].allowed_by == "inline: fixture for the parser tests"
    assert by_path["b.py"].allowed_by is None
    assert "without a reason" in str(by_path["b.py"].note)


def test_baseline_accepts_with_a_reason_and_expires(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"a.py": f'T = "{TOKEN}"\n'})
    (finding,) = scan_tree(repo).findings
    baseline = repo / ".evidencepack" / "secrets-baseline.json"
    baseline.parent.mkdir()
    baseline.write_text(json.dumps({"secrets": [
        {"fingerprint": finding.fingerprint, "reason": "revoked on 2026-11-01, INC-7"}]}))
    assert scan_tree(repo).findings[0].allowed_by == "baseline: revoked on 2026-11-01, INC-7"
    baseline.write_text(json.dumps({"secrets": [
        {"fingerprint": finding.fingerprint, "reason": "x", "expires": "2020-01-01"}]}))
    expired = scan_tree(repo).findings[0]
    assert expired.allowed_by is None and "expired" in str(expired.note)
    baseline.write_text(json.dumps({"secrets": [{"fingerprint": finding.fingerprint}]}))
    with pytest.raises(InputError, match="needs a reason"):
        scan_tree(repo)


def test_parallel_scan_matches_the_single_process_scan(make_repo: Callable[..., Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"src/m{i}.py": f"value = {i}\n" * 50 for i in range(40)}
    files["src/m7.py"] += f'KEY = "{TOKEN}"\n'
    repo = make_repo(files)
    single = scan_tree(repo, workers=1)
    monkeypatch.setattr(scan_module, "_PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(scan_module, "_BATCH_BYTES", 1000)
    parallel = scan_tree(repo, workers=2)
    assert parallel.findings == single.findings
    assert parallel.files_scanned == single.files_scanned == 40


def test_cli_outputs_never_hold_the_secret(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = make_repo({"a.env": f"GITHUB_TOKEN={TOKEN}\nAWS_ACCESS_KEY_ID={AWS_ID}\n"})
    runner = CliRunner()
    outputs = []
    for fmt in ("table", "json", "sarif"):
        result = runner.invoke(main, ["scan", "secrets", str(repo), "--format", fmt])
        assert result.exit_code == 1, result.output
        outputs.append(result.output)
    history = runner.invoke(main, ["scan", "secrets", str(repo), "--history", "--format", "json"])
    outputs.append(history.output)
    for text in outputs:
        assert TOKEN not in text and AWS_ID not in text
    assert "ghp_" in outputs[0]
    clean = make_repo({"a.txt": "nothing here\n"}, name="clean")
    assert runner.invoke(main, ["scan", "secrets", str(clean)]).exit_code == 0


def test_files_that_are_not_utf8_keep_exact_positions_and_safe_previews(
        make_repo: Callable[..., Path]) -> None:
    """Offsets found in the bytes are turned into character columns; an undecodable byte
    inside a secret is never printed or written as such."""
    latin1 = "# Schlüssel für die Übergabe\n".encode("latin-1")
    multibyte = f'ключ = "✓"; GITHUB_TOKEN = "{TOKEN}"\n'.encode()
    odd_value = b'password = "\xe9S3crtV4lu3-xK9pQ2mZ7"\n'
    repo = make_repo({"conf/keys.txt": latin1 + multibyte + odd_value})
    result = scan_tree(repo)
    by_rule = {f.rule: f for f in result.findings}
    token = next(f for f in result.findings if f.line == 2)
    assert (token.line, token.column) == (2, len('ключ = "✓"; GITHUB_TOKEN = "') + 1)
    password = by_rule["generic-password"]
    assert password.line == 3
    assert password.preview == "?S3c…(21 chars)"
    document = json.dumps(result.to_json(), ensure_ascii=False).encode("utf-8")
    assert TOKEN.encode() not in document and b"V4lu3" not in document
    table = CliRunner().invoke(main, ["scan", "secrets", str(repo)])
    assert table.exit_code == 1 and TOKEN not in table.output and "V4lu3" not in table.output


def test_history_reads_added_lines_that_look_like_diff_headers(make_repo: Callable[..., Path]) -> None:
    """An added line reading `++ b/x` shows in `git log -p` as `+++ b/x`; it is content, and
    the lines after it are still scanned, at the right line numbers."""
    repo = make_repo({"README.md": "hello\n"})
    (repo / "notes.txt").write_text(f"++ b/other.txt\n+ more\nGITHUB_TOKEN={TOKEN}\n")
    _git(repo, "add", "notes.txt")
    _git(repo, "commit", "-qm", "notes")
    result = scan_history(open_checkout(repo), None)
    assert [(f.path, f.line) for f in result.findings] == [("notes.txt", 3)]


ACME = "acmedt_" + "k3x9q2m7v5b8n1z4c6w0r2t8y5u3i7o9"


def test_policy_adds_rules_a_rules_file_a_size_limit_and_allowed_paths(
        make_repo: Callable[..., Path]) -> None:
    policy = (
        "secrets:\n"
        "  max_file_bytes: 1000\n"
        "  rules_file: .gitleaks.toml\n"
        "  rules:\n"
        "    - id: acme-deploy-token\n"
        "      description: ACME deploy token\n"
        "      regex: 'acmedt_[a-z0-9]{32}'\n"
        "      keywords: [acmedt_]\n"
        "allow:\n"
        "  - control: AC-4\n"
        "    rule: secret/acme-deploy-token\n"
        "    path: fixtures/\n"
        "    reason: the fixture token is revoked and kept to test the deploy client\n"
    )
    gitleaks = ("[[rules]]\nid = 'corp-key'\nregex = '''corpkey-[A-F0-9]{24}'''\n"
                "keywords = ['corpkey-']\n")
    repo = make_repo({
        "evidencepack.yml": policy,
        ".gitleaks.toml": gitleaks,
        "deploy.env": f"DEPLOY={ACME}\nLEGACY=corpkey-0A1B2C3D4E5F60718293A4B5\n",
        "fixtures/deploy.env": f"DEPLOY={ACME}\n",
        "big.log": "x" * 2000 + "\n",
    })
    result = CliRunner().invoke(main, ["scan", "secrets", str(repo), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    found = {(f["rule"], f["path"], f["allowed_by"]) for f in report["findings"]}
    assert found == {
        ("acme-deploy-token", "deploy.env", None),
        ("corp-key", "deploy.env", None),
        ("acme-deploy-token", "fixtures/deploy.env",
         "policy: the fixture token is revoked and kept to test the deploy client"),
    }
    assert report["skipped"] == {"over the size limit": 1}
    assert ACME not in result.output


@pytest.mark.parametrize(("policy", "message"), [
    ("secrets:\n  rules:\n    - id: bad\n      regex: '(unclosed'\n",
     "evidencepack.yml:3:7: rule 'bad': regex cannot be used"),
    ("secrets:\n  rules:\n    - id: vague\n      regex: '[a-z]{40}'\n",
     "cannot be prefiltered"),
    ("secrets:\n  rules:\n    - regex: 'x{3}'\n", "needs a non-empty 'id'"),
    ("secrets:\n  rules_file: ../outside.toml\n", "must be a path inside the repository"),
    ("secrets:\n  rules_file: missing.toml\n", "secrets.rules_file missing.toml: no such file"),
    ("secrets:\n  rules:\n    - id: generic-token\n      regex: 'tok_[a-z]{9}'\n",
     "'generic-token' is defined twice"),
])
def test_bad_policy_rules_are_one_line_errors(make_repo: Callable[..., Path], policy: str,
                                              message: str) -> None:
    repo = make_repo({"evidencepack.yml": policy, "a.txt": "nothing\n"})
    result = CliRunner().invoke(main, ["scan", "secrets", str(repo)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_gitleaks_keyword_away_from_the_match_still_finds_it(tmp_path: Path,
                                                               make_repo: Callable[..., Path]) -> None:
    """gitleaks only requires a keyword somewhere in the text, so such rules run over the
    whole text rather than the keyword's line."""
    rules = tmp_path / "rules.toml"
    rules.write_text("[[rules]]\nid = 'acme-context'\nregex = '''key-[0-9a-f]{32}'''\n"
                     "keywords = ['acme']\n")
    key = "key-0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # evidencepack:allow-secret made-up key for a rule test
    repo = make_repo({"conf.ini": f"[acme]\nname = shop\nvalue = {key}\n"})
    result = CliRunner().invoke(main, ["scan", "secrets", str(repo), "--rules", str(rules),
                                       "--format", "json"])
    assert result.exit_code == 1, result.output
    assert [(f["rule"], f["line"]) for f in json.loads(result.output)["findings"]] == [("acme-context", 3)]


def test_history_reader_stops_git_when_the_consumer_stops(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({f"f{i}.txt": f"line {i}\n" for i in range(50)})
    for n in range(3):
        (repo / f"g{n}.txt").write_text("x\n" * 1000)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", f"c{n}")
    reader = scan_module._added_lines(open_checkout(repo), ["HEAD"])
    first = next(reader)
    assert first.path and first.commit
    reader.close()  # must return promptly, git killed, the reading thread ended
    import threading

    assert not [t for t in threading.enumerate() if t.name == "git-log-reader"]


def test_history_blocks_map_to_file_lines(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"app.py": "a = 1\nb = 2\nc = 3\n"})
    (repo / "app.py").write_text(f"a = 1\nTOKEN = '{TOKEN}'\nb = 2\nc = 3\nd = 4\n")
    _git(repo, "commit", "-qam", "edit")
    result = scan_history(open_checkout(repo), "HEAD~1")
    assert [(f.path, f.line, f.column) for f in result.findings] == [("app.py", 2, 10)]
    assert result.bytes_scanned == len(f"TOKEN = '{TOKEN}'\nd = 4\n")


def test_short_secrets_are_shown_by_their_length_only(make_repo: Callable[..., Path]) -> None:
    """Four characters of a four-character password are all of it."""
    url = "postgres://app:k9Qz@db.internal/app"  # evidencepack:allow-secret made-up, for this test
    repo = make_repo({"db.env": f"DATABASE_URL={url}\n"})
    finding = next(f for f in scan_tree(repo).findings if f.rule == "postgres-url-password")
    assert finding.preview == "…(4 chars)"
    assert "k9Qz" not in json.dumps(scan_tree(repo).to_json())


def test_an_allow_reason_never_carries_a_secret(make_repo: Callable[..., Path]) -> None:
    """A comment before the secret would otherwise take the rest of the line as its reason."""
    url = "postgres://app:Pq8zRw2mXk7vLt4s@db/x"  # evidencepack:allow-secret made-up, for this test
    line = ('cfg = {"note": "evidencepack:allow-secret test data", '
            f'"db": "{url}", "token": "' + TOKEN + '"}\n')
    repo = make_repo({"cfg.py": line})
    result = scan_tree(repo)
    assert {f.rule for f in result.findings} == {"postgres-url-password", "github-pat-classic"}
    document = json.dumps(result.to_json())
    assert "Pq8zRw2mXk7vLt4s" not in document and TOKEN not in document
    assert all(f.allowed_by and f.allowed_by.startswith("inline: test data") for f in result.findings)
