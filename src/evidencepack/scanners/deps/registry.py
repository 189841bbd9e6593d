"""Every lockfile extractor, in one list."""

from __future__ import annotations

from pathlib import PurePosixPath

from .extractors.dotnet import NugetLockExtractor
from .extractors.golang import GoModExtractor
from .extractors.java import GradleLockExtractor, MavenPomExtractor
from .extractors.javascript import PackageLockExtractor, PnpmLockExtractor, YarnLockExtractor
from .extractors.php import ComposerLockExtractor
from .extractors.python import (
    PdmLockExtractor,
    PipfileLockExtractor,
    PoetryLockExtractor,
    RequirementsExtractor,
    UvLockExtractor,
)
from .extractors.ruby import GemfileLockExtractor
from .extractors.rust import CargoLockExtractor
from .interface import Extractor

EXTRACTORS: tuple[Extractor, ...] = (
    RequirementsExtractor(),
    PoetryLockExtractor(),
    UvLockExtractor(),
    PipfileLockExtractor(),
    PdmLockExtractor(),
    PackageLockExtractor(),
    YarnLockExtractor(),
    PnpmLockExtractor(),
    GoModExtractor(),
    CargoLockExtractor(),
    GemfileLockExtractor(),
    ComposerLockExtractor(),
    GradleLockExtractor(),
    MavenPomExtractor(),
    NugetLockExtractor(),
)


def extractor_for(path: PurePosixPath) -> Extractor | None:
    """The extractor of the file at this repository-relative path, if it is a lockfile."""
    return next((e for e in EXTRACTORS if e.matches(path)), None)
