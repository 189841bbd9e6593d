"""Sigstore bundles (v0.3) over an artifact, checked offline as far as that goes.

A keyless signature is a bundle: the Fulcio certificate of a short-lived key bound to the
CI's OIDC identity, the signature over the artifact's SHA-256, and the Rekor entry that
logged it. Offline, evidencepack checks the digest, the signature with the certificate's
key, the identity in the certificate, and that the log entry was integrated while the
certificate was valid. The certificate chain to Fulcio's root and the log's inclusion
proof need Sigstore's trust root: `cosign verify-blob --bundle` or `sigstore verify`
check those online.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from .signing import verify_digest_signature

MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
ACCEPTED_MEDIA_TYPES = (
    MEDIA_TYPE,
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
)
MAX_BUNDLE_BYTES = 1024 * 1024
OID_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
OID_SOURCE_REPOSITORY_URI = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.12")


class BundleError(ValueError):
    """The bundle is malformed, or does not hold for the artifact."""


@dataclass(frozen=True)
class BundleIdentity:
    """Who signed, as the certificate says."""

    san: str
    """The certificate's subject alternative name: the workflow's URI, or an e-mail."""
    issuer: str | None
    """The OIDC issuer, e.g. `https://token.actions.githubusercontent.com`."""
    source_repository: str | None
    log_index: str


def check_bundle(data: bytes, sha256_hex: str) -> BundleIdentity:
    """Check a bundle against an artifact's digest; raise BundleError with the reason."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError("the bundle is larger than 1 MiB")
    try:
        bundle = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BundleError("the bundle is not valid JSON (truncated or garbled?)") from None
    if not isinstance(bundle, dict):
        raise BundleError("the bundle is not a JSON object")
    if bundle.get("mediaType") not in ACCEPTED_MEDIA_TYPES:
        raise BundleError(f"unsupported bundle mediaType {bundle.get('mediaType')!r}")
    material = _object(bundle, "verificationMaterial")
    certificate = _certificate(material)
    signature = _object(bundle, "messageSignature")
    digest = _object(signature, "messageDigest")
    if digest.get("algorithm") != "SHA2_256":
        raise BundleError(f"the bundle's digest algorithm is {digest.get('algorithm')!r}, "
                          "expected SHA2_256")
    signed_digest = _b64(digest, "digest")
    if signed_digest.hex() != sha256_hex:
        raise BundleError(f"the bundle signs sha256 {signed_digest.hex()[:16]}…, not the "
                          f"artifact's {sha256_hex[:16]}…")
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise BundleError("the certificate's key is not ECDSA P-256")
    if not verify_digest_signature(key, _b64(signature, "signature"), signed_digest):
        raise BundleError("the bundle's signature does not verify with its certificate's key")
    entries = material.get("tlogEntries")
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        raise BundleError("the bundle has no transparency log entry")
    entry = entries[0]
    log_index, integrated = entry.get("logIndex"), entry.get("integratedTime")
    if not isinstance(log_index, str) or not isinstance(integrated, str) \
            or not integrated.isdigit():
        raise BundleError("the bundle's log entry has no logIndex or integratedTime")
    when = datetime.fromtimestamp(int(integrated), UTC)
    if not certificate.not_valid_before_utc <= when <= certificate.not_valid_after_utc:
        raise BundleError("the log entry was integrated outside the certificate's validity")
    return _identity(certificate, log_index)


def _object(parent: dict[str, Any], name: str) -> dict[str, Any]:
    value = parent.get(name)
    if not isinstance(value, dict):
        raise BundleError(f"the bundle has no '{name}' object")
    return value


def _b64(parent: dict[str, Any], name: str) -> bytes:
    value = parent.get(name)
    if not isinstance(value, str):
        raise BundleError(f"the bundle has no '{name}'")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise BundleError(f"the bundle's '{name}' is not base64") from None


def _certificate(material: dict[str, Any]) -> x509.Certificate:
    holder = material.get("certificate")
    if not isinstance(holder, dict):
        chain = material.get("x509CertificateChain")
        certs = chain.get("certificates") if isinstance(chain, dict) else None
        holder = certs[0] if isinstance(certs, list) and certs else None
    if not isinstance(holder, dict):
        raise BundleError("the bundle has no signing certificate (a key-based bundle needs "
                          "the public key: use the pack's .sig instead)")
    try:
        return x509.load_der_x509_certificate(_b64(holder, "rawBytes"))
    except ValueError:
        raise BundleError("the bundle's certificate is not a DER X.509 certificate") from None


def _identity(certificate: x509.Certificate, log_index: str) -> BundleIdentity:
    try:
        names = certificate.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise BundleError("the certificate names no identity") from None
    sans = [*names.get_values_for_type(x509.UniformResourceIdentifier),
            *names.get_values_for_type(x509.RFC822Name)]
    if not sans:
        raise BundleError("the certificate names no identity")
    return BundleIdentity(sans[0], _extension_text(certificate, OID_ISSUER_V2)
                          or _extension_text(certificate, OID_ISSUER_V1),
                          _extension_text(certificate, OID_SOURCE_REPOSITORY_URI), log_index)


def _extension_text(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    try:
        value = certificate.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    raw = value.value if isinstance(value, x509.UnrecognizedExtension) else b""
    # Fulcio's v1 extensions hold raw bytes; the v2 ones a DER UTF8String (tag 0x0c).
    if len(raw) >= 2 and raw[0] == 0x0C and raw[1] == len(raw) - 2:
        raw = raw[2:]
    try:
        return raw.decode("utf-8") or None
    except UnicodeDecodeError:
        return None
