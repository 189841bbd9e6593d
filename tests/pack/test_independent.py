"""The attestation checked by implementations that are not ours."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey

from evidencepack.run import RunOutcome

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "data" / "schemas"


def _envelope(pack: RunOutcome) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (pack.pack.directory / "attestation.dsse.json").read_text())
    return data


def _key(pack: RunOutcome, keyid: str) -> SSlibKey:
    assert pack.store is not None
    pem = (pack.store.keys_dir / "signing.pub").read_bytes()
    return SSlibKey.from_crypto(load_pem_public_key(pem), keyid=keyid,
                                scheme="ecdsa-sha2-nistp256")


def test_securesystemslib_verifies_the_dsse_envelope(built_pack: RunOutcome) -> None:
    raw = _envelope(built_pack)
    keyid = raw["signatures"][0]["keyid"]  # type: ignore[index]
    envelope = Envelope.from_dict(copy.deepcopy(raw))
    assert list(envelope.verify([_key(built_pack, keyid)], 1)) == [keyid]


def test_securesystemslib_rejects_a_changed_payload(built_pack: RunOutcome) -> None:
    raw = _envelope(built_pack)
    keyid = raw["signatures"][0]["keyid"]  # type: ignore[index]
    body = base64.b64decode(str(raw["payload"])).replace(b"report.html", b"report.htm ")
    raw["payload"] = base64.b64encode(body).decode()
    with pytest.raises(VerificationError):
        Envelope.from_dict(copy.deepcopy(raw)).verify([_key(built_pack, keyid)], 1)


def test_envelope_matches_the_published_dsse_schema(built_pack: RunOutcome) -> None:
    schema = json.loads((SCHEMAS / "sigstore-dsse-Envelope.schema.json").read_text())
    jsonschema.validate(_envelope(built_pack), schema)


def test_in_toto_attestation_validates_the_statement(built_pack: RunOutcome) -> None:
    payload = base64.b64decode(str(_envelope(built_pack)["payload"]))
    message = json_format.Parse(payload, statement_pb2.Statement())
    Statement.copy_from_pb(message).validate()
    assert message.predicate_type == "https://evidencepack.dev/pack/v1"
    assert all(s.digest["sha256"] for s in message.subject)
