"""IN-2: an SBOM with every build."""

from __future__ import annotations

from ..scanners.pipeline.model import CapabilityKind
from .capability import CapabilityControl


class Sbom(CapabilityControl):
    id = "IN-2"
    title = "An SBOM with every build"
    criteria = ("CC7.1", "CC9.2")
    iso27001 = ("A.5.9", "A.8.8")
    evidence_needed = ("an SBOM step in the pipeline", "this build's SBOM in the pack")
    status_rule = (
        "fail when nothing produces an SBOM; pass when this build's SBOM, covering every "
        "lockfile, is in the pack; error when it is not"
    )
    capability = CapabilityKind.SBOM
    does = "produces an SBOM"
    gap = "this build's SBOM is not in the pack"
