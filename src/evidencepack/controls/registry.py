"""The control catalog: every control, in one explicit list, and how they are evaluated."""

from __future__ import annotations

import traceback

from ..model import ControlResult, Status
from .ac1_cloud_access import CloudAccessControl
from .ac2_token_permissions import TokenPermissions
from .ac3_secret_rotation import SecretRotation
from .ac4_secret_scanning import SecretScanning
from .base import Control, Evidence
from .cm1_branch_protection import BranchProtection
from .cm2_change_review import ChangeReview
from .cm3_pipeline_as_code import PipelineAsCode
from .cm4_tests import AutomatedTests
from .doc1_as_built import AsBuilt
from .hd1_hardening import PipelineHardening
from .in1_signing import ArtifactSigning
from .in2_sbom import Sbom
from .in3_verify_before_deploy import VerifyBeforeDeploy
from .lg1_log_retention import LogRetention
from .mo1_monitoring import PipelineMonitoring
from .vm1_dependency_scanning import DependencyScanning
from .vm2_vulnerability_sla import VulnerabilitySla

CONTROLS: tuple[Control, ...] = (
    BranchProtection(),
    ChangeReview(),
    PipelineAsCode(),
    AutomatedTests(),
    CloudAccessControl(),
    TokenPermissions(),
    SecretRotation(),
    SecretScanning(),
    DependencyScanning(),
    VulnerabilitySla(),
    PipelineMonitoring(),
    LogRetention(),
    ArtifactSigning(),
    Sbom(),
    VerifyBeforeDeploy(),
    PipelineHardening(),
    AsBuilt(),
)

CONTROL_IDS = tuple(c.id for c in CONTROLS)


def control(control_id: str) -> Control:
    """The control with this id; `KeyError` if there is none."""
    for c in CONTROLS:
        if c.id == control_id:
            return c
    raise KeyError(control_id)


def evaluate(control_: Control, evidence: Evidence) -> ControlResult:
    """Evaluate one control; a bug in a control becomes its `error`, not a crashed run."""
    try:
        outcome = control_.evaluate(evidence)
        status, rationale = outcome.status, outcome.rationale
        findings, files = outcome.findings, outcome.evidence
    except Exception as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        status = Status.ERROR
        rationale = (
            f"the control could not be evaluated: {type(exc).__name__}: {exc} "
            f"({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
        )
        findings, files = (), ()
    if evidence.available is not None:
        files = tuple(f for f in files if f in evidence.available)
    return ControlResult(
        control_id=control_.id,
        title=control_.title,
        criteria=control_.criteria,
        iso27001=control_.iso27001,
        status=status,
        rationale=rationale,
        findings=findings,
        evidence=files,
        enforced=control_.id in evidence.policy.enforce,
    )


def evaluate_all(evidence: Evidence) -> tuple[ControlResult, ...]:
    """Every control of the catalog, in catalog order."""
    return tuple(evaluate(c, evidence) for c in CONTROLS)
