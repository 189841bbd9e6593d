"""cosign key pairs: files built here the way cosign builds them, independently of our writer
(hashlib's scrypt and PyNaCl's secretbox), then loaded, used and refused when damaged."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import nacl.secret
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evidencepack.cli import main
from evidencepack.errors import SigningKeyError
from evidencepack.pack.signing import load_signer

from .conftest import write_artifacts

SALT = bytes(range(32))
NONCE = bytes(range(100, 124))


def cosign_key_file(key: ec.EllipticCurvePrivateKey, password: bytes, *, n: int, r: int = 8,
                    p: int = 1, kind: str = "ENCRYPTED SIGSTORE PRIVATE KEY",
                    tamper: bool = False) -> bytes:
    """cosign.key as `cosign generate-key-pair` writes it, from known scrypt parameters."""
    box_key = hashlib.scrypt(password, salt=SALT, n=n, r=r, p=p, dklen=32, maxmem=128 * 1024**2)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    sealed = bytearray(nacl.secret.SecretBox(box_key).encrypt(der, NONCE).ciphertext)
    if tamper:
        sealed[40] ^= 1
    body = json.dumps({
        "kdf": {"name": "scrypt", "params": {"N": n, "r": r, "p": p},
                "salt": base64.b64encode(SALT).decode()},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(NONCE).decode()},
        "ciphertext": base64.b64encode(bytes(sealed)).decode(),
    }).encode()
    encoded = base64.b64encode(body).decode()
    lines = "\n".join(encoded[i:i + 64] for i in range(0, len(encoded), 64))
    return f"-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----\n".encode()


@pytest.fixture
def keypair(tmp_path: Path) -> tuple[ec.EllipticCurvePrivateKey, Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    private, public = tmp_path / "cosign.key", tmp_path / "cosign.pub"
    private.write_bytes(cosign_key_file(key, b"s3cret", n=1024))
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, private, public


@pytest.mark.parametrize(("n", "r", "p"), [(1024, 8, 1), (32768, 8, 1), (16, 1, 1)])
def test_a_cosign_key_from_known_parameters_loads_and_signs(
    n: int, r: int, p: int, tmp_path: Path
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "cosign.key"
    path.write_bytes(cosign_key_file(key, b"pw", n=n, r=r, p=p))
    signer = load_signer(path, cosign_password=b"pw")
    public = tmp_path / "cosign.pub"
    public.write_text(signer.public_pem)
    assert signer.public_pem.encode() == key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    blob = tmp_path / "blob"
    blob.write_bytes(b"artifact bytes")
    sig = tmp_path / "sig"
    sig.write_bytes(signer.sign(blob.read_bytes()))
    out = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(public), "-signature",
                          str(sig), str(blob)], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and "Verified OK" in out.stdout


def test_an_empty_password_and_the_legacy_header_are_accepted(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "cosign.key"
    path.write_bytes(cosign_key_file(key, b"", n=1024, kind="ENCRYPTED COSIGN PRIVATE KEY"))
    assert load_signer(path, cosign_password=b"").public_key.public_numbers() == \
        key.public_key().public_numbers()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("tampered", "wrong COSIGN_PASSWORD, or the file was altered"),
        ("huge-n", "out of range"),
        ("odd-n", "out of range"),
        ("truncated", "not a complete cosign private key"),
        ("not-json", "not base64 JSON"),
        ("other-kdf", "unsupported key derivation"),
    ],
)
def test_damaged_or_hostile_cosign_keys_are_refused(content: str, message: str,
                                                    tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    data = cosign_key_file(key, b"pw", n=1024, tamper=content == "tampered")
    body = json.loads(base64.b64decode(b"".join(data.splitlines()[1:-1])))
    if content in ("huge-n", "odd-n", "other-kdf"):
        if content == "huge-n":
            body["kdf"]["params"]["N"] = 2**30
        elif content == "odd-n":
            body["kdf"]["params"]["N"] = 1000
        else:
            body["kdf"]["name"] = "pbkdf2"
        encoded = base64.b64encode(json.dumps(body).encode()).decode()
        data = (b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + encoded.encode()
                + b"\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    elif content == "truncated":
        data = data[: len(data) // 2]
    elif content == "not-json":
        data = (b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGpzb24=\n"
                b"-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    path = tmp_path / "cosign.key"
    path.write_bytes(data)
    with pytest.raises(SigningKeyError, match=message):
        load_signer(path, cosign_password=b"pw")


def _run(repo: Path, store: Path, key: Path, env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner(env=env).invoke(main, ["run", str(repo), "--store", str(store),
                                              "--key", str(key), "--artifact", "dist/*",
                                              "--format", "json"], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_run_signs_with_a_cosign_key_and_cosign_pub_verifies_pack_and_artifact(
    keypair: tuple[ec.EllipticCurvePrivateKey, Path, Path], fixture_repo: Callable[..., Path],
    tmp_path: Path, ci_free_env: None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, private, public = keypair
    repo = fixture_repo("github-hardened")
    artifacts = write_artifacts(repo)
    monkeypatch.chdir(repo)
    code, out, err = _run(repo, tmp_path / "store", private, {"COSIGN_PASSWORD": "s3cret"})
    assert code == 0, err
    pack = Path(json.loads(out)["pack"])
    runner = CliRunner()
    verified = runner.invoke(main, ["verify", str(pack), "--key", str(public)])
    assert verified.exit_code == 0, verified.output
    gate = runner.invoke(main, ["verify-artifact", str(artifacts["dist/app.tar.gz"]), "--pack",
                                str(pack), "--key", str(public)])
    assert gate.exit_code == 0 and gate.stdout.startswith("OK "), gate.output


@pytest.mark.parametrize(("env", "message"), [
    ({"COSIGN_PASSWORD": "wrong"}, "wrong COSIGN_PASSWORD"),
    ({}, "needs its password in COSIGN_PASSWORD"),
])
def test_a_cosign_key_without_its_password_exits_2_with_one_line(
    env: dict[str, str], message: str, keypair: tuple[ec.EllipticCurvePrivateKey, Path, Path],
    fixture_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COSIGN_PASSWORD", raising=False)
    repo = fixture_repo("github-hardened")
    write_artifacts(repo)
    monkeypatch.chdir(repo)
    code, _, err = _run(repo, tmp_path / "store", keypair[1], env)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_keygen_cosign_writes_a_key_cosign_s_format_opens(tmp_path: Path) -> None:
    result = CliRunner(env={"COSIGN_PASSWORD": "pw"}).invoke(
        main, ["keygen", "--cosign", "--out-dir", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "cosign.key").read_text()
    lines = text.splitlines()
    assert lines[0] == "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"
    assert lines[-1] == "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----"
    assert all(len(line) == 64 for line in lines[1:-2]) and 0 < len(lines[-2]) <= 64
    assert (tmp_path / "cosign.key").stat().st_mode & 0o077 == 0
    body = json.loads(base64.b64decode("".join(lines[1:-1])))
    assert body["kdf"]["params"] == {"N": 32768, "r": 8, "p": 1}
    box_key = hashlib.scrypt(b"pw", salt=base64.b64decode(body["kdf"]["salt"]), n=32768, r=8,
                             p=1, dklen=32, maxmem=128 * 1024**2)
    der = nacl.secret.SecretBox(box_key).decrypt(base64.b64decode(body["ciphertext"]),
                                                  base64.b64decode(body["cipher"]["nonce"]))
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == (tmp_path / "cosign.pub").read_bytes()
