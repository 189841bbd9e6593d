"""IN-2: an SBOM with every build.

evidencepack writes this build's SBOM into the pack from the lockfiles of the checkout
(and the SBOMs given with `--sbom`): that SBOM in the pack is the evidence. Where there is
nothing it could cover (no lockfile, no SBOM given), the pipeline's own SBOM step is what
is left to judge, as before.
"""

from __future__ import annotations

from ..model import Location, Severity, Status
from ..scanners.deps.model import Inventory
from ..scanners.pipeline.model import CapabilityKind
from .base import (
    EVIDENCE_INVENTORY,
    EVIDENCE_SBOM,
    Evidence,
    Outcome,
    accept,
    expired_allowances,
    plural,
)
from .capability import CapabilityControl


def _location(path: str) -> Location | None:
    # Paths of SBOMs given from outside the checkout are absolute: no repository location.
    return None if path.startswith("/") else Location(path)


class Sbom(CapabilityControl):
    id = "IN-2"
    title = "An SBOM with every build"
    criteria = ("CC7.1", "CC9.2")
    iso27001 = ("A.5.9", "A.8.8")
    evidence_needed = (
        "this build's SBOM in the pack (evidence/sbom/sbom.cdx.json)",
        "the lockfiles it covers (evidence/sbom/inventory.json)",
        "an SBOM step in the pipeline, when the repository has no lockfile",
    )
    status_rule = (
        "pass when this build's SBOM is in the pack and every lockfile found was read; error "
        "naming each lockfile that could not be read, or when the SBOM could not be built; "
        "fail when a manifest declares dependencies that no lockfile pins; with nothing to "
        "cover, fail when nothing in the pipeline produces an SBOM"
    )
    capability = CapabilityKind.SBOM
    does = "produces an SBOM"
    gap = "this build's SBOM is not in the pack"

    def still_missing(self, evidence: Evidence) -> str:
        if self._sbom_in_pack(evidence):
            return ("evidencepack found no lockfile, so the SBOM in the pack lists no component; "
                    "give the pipeline's SBOM to `evidencepack run --sbom FILE`")
        return self.gap

    def _sbom_in_pack(self, evidence: Evidence) -> bool:
        return evidence.inventory is not None and (
            evidence.available is None or EVIDENCE_SBOM in evidence.available)

    def evaluate(self, evidence: Evidence) -> Outcome:
        inventory = evidence.inventory
        if inventory is None:
            if evidence.inventory_error:
                return Outcome(Status.ERROR,
                               f"this build's SBOM could not be built: {evidence.inventory_error}")
            return super().evaluate(evidence)
        if not self._sbom_in_pack(evidence) or not (inventory.lockfiles or inventory.unlocked):
            return super().evaluate(evidence)
        return self._covered(evidence, inventory)

    def _covered(self, evidence: Evidence, inventory: Inventory) -> Outcome:
        files = (EVIDENCE_SBOM, EVIDENCE_INVENTORY)
        read = [lf for lf in inventory.lockfiles if lf.error is None]
        what = (f"this build's SBOM ({EVIDENCE_SBOM}) lists "
                f"{plural(len(inventory.components), 'component')} from {len(read)} lockfile(s) and SBOM(s)")
        if inventory.excluded:
            what += f" (left out by the policy's dependencies.exclude_paths: {', '.join(inventory.excluded)})"
        if inventory.errors:
            findings = tuple(
                self.finding("lockfile-unreadable",
                             f"{lf.path} ({lf.format}) could not be read: {lf.error}",
                             Severity.HIGH, _location(lf.path))
                for lf in inventory.errors
            )
            names = ", ".join(lf.path for lf in inventory.errors)
            return Outcome(
                Status.ERROR,
                f"{plural(len(inventory.errors), 'lockfile')} could not be read, so the SBOM does "
                f"not cover {names}; {what}",
                findings,
                files,
            )
        unlocked = tuple(
            self.finding("manifest-without-lockfile",
                         f"{path} declares dependencies that no lockfile pins: the SBOM cannot "
                         "list the versions built", Severity.MEDIUM, Location(path))
            for path in inventory.unlocked
        )
        open_unlocked, accepted_unlocked = accept(self.id, unlocked, evidence)
        if open_unlocked:
            names = ", ".join(f.location.path for f in open_unlocked if f.location)
            return Outcome(
                Status.FAIL,
                f"{plural(len(open_unlocked), 'manifest')} "
                f"{'declares' if len(open_unlocked) == 1 else 'declare'} dependencies that no "
                f"lockfile pins ({names}); {what}",
                (*open_unlocked, *accepted_unlocked, *expired_allowances(self.id, evidence)),
                files,
            )
        unpinned = tuple(
            self.finding("unpinned-dependency", f"{entry}: not in the SBOM", Severity.LOW,
                         _location(lf.path))
            for lf in inventory.lockfiles for entry in lf.unresolved
        )
        open_, accepted = accept(self.id, unpinned, evidence)
        note = f"; {len(open_)} entry(ies) without a pinned version" if open_ else ""
        return Outcome(Status.PASS, f"{what}, every lockfile found read{note}",
                       (*open_, *accepted, *accepted_unlocked, *expired_allowances(self.id, evidence)),
                       files)
