"""VM-1: dependencies scanned for known vulnerabilities on every build, against a fresh database."""

from __future__ import annotations

from ..scanners.pipeline.model import CapabilityKind
from .capability import CapabilityControl


class DependencyScanning(CapabilityControl):
    id = "VM-1"
    title = "Dependencies scanned for known vulnerabilities on every build, with a fresh database"
    criteria = ("CC7.1", "CC6.8")
    iso27001 = ("A.8.8",)
    evidence_needed = (
        "a dependency-scanning step in the pipeline",
        "the vulnerability report of this build and the age of its advisory database",
    )
    status_rule = (
        "fail when nothing scans dependencies; pass when this build's scan covered the SBOM "
        "against a database younger than `vulnerabilities.max_db_age_hours`; error when the "
        "scan result is not in the pack"
    )
    capability = CapabilityKind.DEPENDENCY_SCAN
    does = "scans dependencies for known vulnerabilities"
    gap = "this build's vulnerability report and its database age are not in the pack"
