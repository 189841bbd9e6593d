"""Signing keys: ECDSA P-256 with SHA-256, PEM files.

`Signer` is the interface a KMS or HSM backend implements later; `FileSigner` holds a key
read from a PEM file or a cosign key file (`cosign_key`). The password of an encrypted key
is given by the caller, never read from the environment here.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from ..errors import SigningKeyError

MAX_KEY_BYTES = 64 * 1024


class Signer(ABC):
    """Something that signs bytes with a private key it may never reveal.

    The seam for other key stores: a KMS or HSM backend implements `public_key` and
    `sign_digest` (the KMS signs a SHA-256 digest it is sent, so large artifacts never leave
    the build machine), and `sign` comes for free.
    """

    @property
    @abstractmethod
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The public half, to record in the pack and verify with."""

    @abstractmethod
    def sign_digest(self, digest: bytes) -> bytes:
        """A DER-encoded ECDSA signature over a SHA-256 `digest` computed by the caller."""

    def sign(self, payload: bytes) -> bytes:
        """A DER-encoded ECDSA signature over SHA-256 of `payload`."""
        return self.sign_digest(hashlib.sha256(payload).digest())

    @property
    def keyid(self) -> str:
        return keyid_of(self.public_key)

    @property
    def public_pem(self) -> str:
        return public_pem(self.public_key)


class FileSigner(Signer):
    """An ECDSA P-256 private key held in memory, read from a PEM file."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(key.curve, ec.SECP256R1):
            raise SigningKeyError(f"signing key uses curve {key.curve.name}; expected P-256")
        self._key = key

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._key.public_key()

    def sign_digest(self, digest: bytes) -> bytes:
        if len(digest) != hashes.SHA256.digest_size:
            raise ValueError("sign_digest takes a SHA-256 digest (32 bytes)")
        return self._key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))


def keyid_of(key: ec.EllipticCurvePublicKey) -> str:
    """sha256 of the DER SubjectPublicKeyInfo, hex: the key's stable identifier."""
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def public_pem(key: ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _read_key_file(path: Path, what: str) -> bytes:
    try:
        if not path.is_file():
            raise SigningKeyError(f"{path}: {what} not found")
        if path.stat().st_size > MAX_KEY_BYTES:
            raise SigningKeyError(f"{path}: too large to be a {what}")
        return path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"{path}: cannot read {what}: {exc.strerror}") from None


def load_signer(path: Path, password: bytes | None = None, *,
                cosign_password: bytes | None = None) -> FileSigner:
    """Read an ECDSA P-256 private key (PKCS#8 or SEC1 PEM, optionally encrypted), or a
    cosign `cosign.key` decrypted with `cosign_password` (COSIGN_PASSWORD's value)."""
    data = _read_key_file(path, "private key")
    from .cosign_key import is_cosign_key, load_cosign_signer

    if is_cosign_key(data):
        return load_cosign_signer(data, cosign_password, str(path))
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError:
        if password is None:
            raise SigningKeyError(
                f"{path}: the private key is encrypted; set EVIDENCEPACK_KEY_PASSWORD"
            ) from None
        raise SigningKeyError(f"{path}: the private key is not encrypted; "
                              "unset EVIDENCEPACK_KEY_PASSWORD") from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyError(
            f"{path}: not a PEM private key, or the password is wrong"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SigningKeyError(f"{path}: not an ECDSA key (evidencepack signs with ECDSA P-256)")
    return FileSigner(key)


def load_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    """Read an ECDSA P-256 public key (PEM SubjectPublicKeyInfo)."""
    return parse_public_key(_read_key_file(path, "public key"), str(path))


def parse_public_key(data: bytes, source: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise SigningKeyError(f"{source}: not a PEM public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SigningKeyError(f"{source}: not an ECDSA P-256 public key")
    return key


def verify_signature(key: ec.EllipticCurvePublicKey, signature: bytes, payload: bytes) -> bool:
    try:
        key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def verify_digest_signature(key: ec.EllipticCurvePublicKey, signature: bytes,
                            digest: bytes) -> bool:
    """Check a DER ECDSA signature over a SHA-256 digest (a streamed file's, say)."""
    try:
        key.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path
    keyid: str


def generate_keypair(private: Path, public: Path, password: bytes | None = None,
                     *, overwrite: bool = False) -> KeyPair:
    """Create a P-256 key pair; the private key file is readable by its owner only."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption()
    )
    return write_keypair(private, public, lambda key: key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption), overwrite)


def write_keypair(private: Path, public: Path,
                  encode: Callable[[ec.EllipticCurvePrivateKey], bytes], overwrite: bool) -> KeyPair:
    """Generate a P-256 key; write `encode(key)` to `private` (owner-only, created exclusively)
    and the public key's PEM to `public`."""
    for target in (private, public):
        if target.exists() and not overwrite:
            raise SigningKeyError(f"{target}: already exists (use --force to replace it)")
    key = ec.generate_private_key(ec.SECP256R1())
    pem = encode(key)
    try:
        private.parent.mkdir(parents=True, exist_ok=True)
        public.parent.mkdir(parents=True, exist_ok=True)
        if overwrite and private.exists():
            private.unlink()
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        public.write_text(public_pem(key.public_key()), encoding="ascii")
    except OSError as exc:
        raise SigningKeyError(f"cannot write key pair: {exc.strerror}: {exc.filename}") from None
    return KeyPair(private, public, keyid_of(key.public_key()))
