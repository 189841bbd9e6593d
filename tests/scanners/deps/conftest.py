"""Shared helpers of the dependency inventory tests."""

from __future__ import annotations

from pathlib import Path

LOCKFILES = Path(__file__).resolve().parents[2] / "fixtures" / "lockfiles"
SCHEMAS = Path(__file__).resolve().parents[4] / "shared" / "data" / "schemas"
