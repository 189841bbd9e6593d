"""Validators from the official schemas in ../shared/data/schemas, and a secret to plant."""

from __future__ import annotations

import json
import random
import zlib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT.parent / "shared" / "data" / "schemas"

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def github_token(seed: int) -> str:
    """A classic GitHub token with a valid checksum, made up for the test (never a real token)."""
    rng = random.Random(seed)
    body = "".join(rng.choice(_ALPHABET) for _ in range(30))
    crc = zlib.crc32(body.encode())
    digits = ""
    while crc:
        crc, rest = divmod(crc, 62)
        digits = _ALPHABET[rest] + digits
    return f"ghp_{body}{digits.rjust(6, '0')}"


def schema_validator(name: str) -> jsonschema.protocols.Validator:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="session")
def planted_token() -> str:
    return github_token(11)


@pytest.fixture(scope="session")
def sarif_schema() -> jsonschema.protocols.Validator:
    return schema_validator("sarif-schema-2.1.0.json")
