"""DSSE envelopes around in-toto Statements (v1).

The pre-authentication encoding (PAE) is what is signed:
`DSSEv1 <len(type)> <type> <len(body)> <body>`, lengths in ASCII decimal bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from .signing import Signer

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://evidencepack.dev/pack/v1"


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


ARTIFACT_ANNOTATION = {"evidencepack": "artifact"}
"""Marks the subjects that are artifacts of the run, not files of the pack."""


def statement(subjects: list[tuple[str, str]], predicate: dict[str, Any],
              artifacts: list[tuple[str, str]] | None = None) -> bytes:
    """An in-toto Statement v1 with one subject per (name, sha256), one subject per line.

    One subject per line keeps the statement checkable with `grep` and `sha256sum`
    alone; the JSON is otherwise compact and canonical (sorted keys). `artifacts` are
    subjects too, annotated as artifacts of the run so that a check of the pack's files
    (which matches the plain subject lines) leaves them out.
    """
    entries = [(name, digest, {"name": name, "digest": {"sha256": digest}})
               for name, digest in subjects]
    entries += [(name, digest, {"name": name, "digest": {"sha256": digest},
                                "annotations": ARTIFACT_ANNOTATION})
                for name, digest in artifacts or ()]
    lines = [json.dumps(entry, sort_keys=True) for _, _, entry in
             sorted(entries, key=lambda e: (e[0], e[1], "annotations" in e[2]))]
    head = json.dumps({"_type": STATEMENT_TYPE}, sort_keys=True)[:-1]
    tail = json.dumps({"predicateType": PREDICATE_TYPE, "predicate": predicate},
                      sort_keys=True, ensure_ascii=False)[1:]
    body = head + ',\n"subject": [\n' + ",\n".join(lines) + "\n],\n" + tail + "\n"
    return body.encode("utf-8")


def sign_envelope(body: bytes, signer: Signer) -> dict[str, Any]:
    """A DSSE envelope over `body`, signed once by `signer`."""
    signature = signer.sign(pae(PAYLOAD_TYPE, body))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(body).decode("ascii"),
        "signatures": [
            {"keyid": signer.keyid, "sig": base64.b64encode(signature).decode("ascii")}
        ],
    }


def envelope_text(envelope: dict[str, Any]) -> str:
    """The envelope as written to `attestation.dsse.json`: one field per line."""
    return json.dumps(envelope, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    body: bytes
    signatures: tuple[tuple[str, bytes], ...]
    """(keyid, DER signature)."""


class EnvelopeError(ValueError):
    """The envelope is not a well-formed DSSE envelope."""


def parse_envelope(data: bytes) -> Envelope:
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EnvelopeError(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise EnvelopeError("not a JSON object")
    payload_type = raw.get("payloadType")
    payload = raw.get("payload")
    sigs = raw.get("signatures")
    if not isinstance(payload_type, str) or not isinstance(payload, str):
        raise EnvelopeError("payloadType and payload must be strings")
    if not isinstance(sigs, list) or not sigs:
        raise EnvelopeError("no signatures")
    try:
        body = base64.b64decode(payload, validate=True)
        signatures = tuple(
            (str(s.get("keyid", "")), base64.b64decode(s["sig"], validate=True))
            for s in sigs
            if isinstance(s, dict)
        )
    except (KeyError, TypeError, binascii.Error) as exc:
        raise EnvelopeError(f"bad base64 in payload or signature: {exc}") from None
    if len(signatures) != len(sigs):
        raise EnvelopeError("a signature entry is not an object")
    return Envelope(payload_type, body, signatures)
