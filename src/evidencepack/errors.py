"""Errors a user can act on. The CLI prints `message` (and `remediation`) in one place."""

from __future__ import annotations


class EvidencepackError(Exception):
    """Base error: one line for the user, exit code 2 unless a subclass says otherwise."""

    exit_code = 2

    def __init__(self, message: str, remediation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation

    def __str__(self) -> str:
        return self.message


class InputError(EvidencepackError):
    """A path, file or argument given to evidencepack cannot be used."""


class YamlError(InputError):
    """A YAML file is invalid or hostile; the message starts with file:line:column."""


class PolicyError(InputError):
    """The policy file has an unknown key, a wrong type or an invalid value."""


class RepositoryError(InputError):
    """The path is not a usable Git checkout."""


class SigningKeyError(EvidencepackError):
    """A signing or verification key cannot be read or used."""


class StoreError(EvidencepackError):
    """The evidence store cannot be read or written."""


class VerificationError(EvidencepackError):
    """A pack does not verify: a digest, the signature or the file list does not hold."""

    exit_code = 1
