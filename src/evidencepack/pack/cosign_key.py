"""Cosign key pairs, as `cosign generate-key-pair` writes them.

`cosign.key` is a PEM block `ENCRYPTED SIGSTORE PRIVATE KEY` (older cosign wrote
`ENCRYPTED COSIGN PRIVATE KEY`) whose body is JSON:

    {"kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": <base64>},
     "cipher": {"name": "nacl/secretbox", "nonce": <base64, 24 bytes>},
     "ciphertext": <base64>}

scrypt turns the password (`COSIGN_PASSWORD`, possibly empty) and the salt into a 32-byte
key; NaCl secretbox (XSalsa20-Poly1305) opens the ciphertext to a PKCS#8 DER private key.
`cosign.pub` is a PEM SubjectPublicKeyInfo, the format `load_public_key` reads.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.secret
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..errors import SigningKeyError
from .signing import FileSigner, KeyPair, write_keypair

PEM_TYPES = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
WRITE_TYPE = PEM_TYPES[0]
COSIGN_N, COSIGN_R, COSIGN_P = 32768, 8, 1
"""The parameters cosign writes (and, for newer files, 65536)."""
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
"""A hostile key file must not make the run allocate gigabytes: 128·N·r bytes at most this."""


def is_cosign_key(data: bytes) -> bool:
    """True when `data` is a PEM block of one of cosign's encrypted private key types."""
    head = data.lstrip()[:64]
    return any(head.startswith(b"-----BEGIN " + t.encode() + b"-----") for t in PEM_TYPES)


def load_cosign_signer(data: bytes, password: bytes | None, source: str) -> FileSigner:
    """Decrypt a cosign private key file; `password` is COSIGN_PASSWORD's value."""
    if password is None:
        raise SigningKeyError(f"{source}: a cosign key needs its password in COSIGN_PASSWORD "
                              "(set it to the empty string for a key without one)")
    document = _pem_json(data, source)
    kdf, cipher = _field(document, "kdf", dict, source), _field(document, "cipher", dict, source)
    if kdf.get("name") != "scrypt":
        raise SigningKeyError(f"{source}: unsupported key derivation {kdf.get('name')!r}")
    if cipher.get("name") != "nacl/secretbox":
        raise SigningKeyError(f"{source}: unsupported cipher {cipher.get('name')!r}")
    params = _field(kdf, "params", dict, source)
    n, r, p = (params.get(k) for k in ("N", "r", "p"))
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (n, r, p)):
        raise SigningKeyError(f"{source}: scrypt parameters N, r, p must be positive integers")
    assert isinstance(n, int) and isinstance(r, int) and isinstance(p, int)
    if n & (n - 1) or n < 2 or 128 * n * r > MAX_SCRYPT_MEMORY or p > 16:
        raise SigningKeyError(f"{source}: scrypt parameters N={n} r={r} p={p} are out of range")
    salt = _b64(kdf, "salt", source)
    nonce = _b64(cipher, "nonce", source)
    ciphertext = _b64(document, "ciphertext", source)
    if len(nonce) != nacl.secret.SecretBox.NONCE_SIZE:
        raise SigningKeyError(f"{source}: the secretbox nonce is not 24 bytes")
    key = Scrypt(salt=salt, length=nacl.secret.SecretBox.KEY_SIZE, n=n, r=r, p=p).derive(password)
    try:
        der = nacl.secret.SecretBox(key).decrypt(ciphertext, nonce)
    except nacl.exceptions.CryptoError:
        raise SigningKeyError(f"{source}: cannot decrypt the cosign key: wrong COSIGN_PASSWORD, "
                              "or the file was altered") from None
    try:
        private = serialization.load_der_private_key(der, password=None)
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyError(f"{source}: the decrypted cosign key is not a PKCS#8 key") from None
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise SigningKeyError(f"{source}: not an ECDSA key (evidencepack signs with ECDSA P-256)")
    return FileSigner(private)


def encrypt_cosign_key(key: ec.EllipticCurvePrivateKey, password: bytes, *,
                       n: int = COSIGN_N, r: int = COSIGN_R, p: int = COSIGN_P,
                       salt: bytes | None = None, nonce: bytes | None = None) -> bytes:
    """The `cosign.key` PEM for `key`, encrypted with `password` as cosign does it."""
    salt = salt if salt is not None else secrets.token_bytes(32)
    nonce = nonce if nonce is not None else secrets.token_bytes(nacl.secret.SecretBox.NONCE_SIZE)
    box_key = Scrypt(salt=salt, length=nacl.secret.SecretBox.KEY_SIZE, n=n, r=r, p=p).derive(password)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    sealed = nacl.secret.SecretBox(box_key).encrypt(der, nonce).ciphertext
    document = {
        "kdf": {"name": "scrypt", "params": {"N": n, "r": r, "p": p},
                "salt": base64.b64encode(salt).decode("ascii")},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode("ascii")},
        "ciphertext": base64.b64encode(sealed).decode("ascii"),
    }
    encoded = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
    # 64-character lines, as Go's encoding/pem writes them.
    body = "".join(encoded[i:i + 64] + "\n" for i in range(0, len(encoded), 64))
    return (f"-----BEGIN {WRITE_TYPE}-----\n{body}-----END {WRITE_TYPE}-----\n").encode("ascii")


def generate_cosign_keypair(private: Path, public: Path, password: bytes, *,
                            overwrite: bool = False) -> KeyPair:
    """Write `cosign.key` and `cosign.pub` the way `cosign generate-key-pair` does."""
    return write_keypair(private, public, lambda key: encrypt_cosign_key(key, password), overwrite)


def _pem_json(data: bytes, source: str) -> dict[str, Any]:
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise SigningKeyError(f"{source}: not a PEM file") from None
    lines = text.splitlines()
    kind = next((t for t in PEM_TYPES if lines and lines[0].strip() == f"-----BEGIN {t}-----"),
                None)
    if kind is None or lines[-1].strip() != f"-----END {kind}-----":
        raise SigningKeyError(f"{source}: not a complete cosign private key PEM block")
    try:
        raw = base64.b64decode("".join(line.strip() for line in lines[1:-1]), validate=True)
        document = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise SigningKeyError(f"{source}: the cosign key's body is not base64 JSON") from None
    if not isinstance(document, dict):
        raise SigningKeyError(f"{source}: the cosign key's body is not a JSON object")
    return document


def _field(document: dict[str, Any], name: str, kind: type, source: str) -> Any:
    value = document.get(name)
    if not isinstance(value, kind):
        raise SigningKeyError(f"{source}: the cosign key has no valid '{name}'")
    return value


def _b64(document: dict[str, Any], name: str, source: str) -> bytes:
    value = _field(document, name, str, source)
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise SigningKeyError(f"{source}: the cosign key's '{name}' is not base64") from None
