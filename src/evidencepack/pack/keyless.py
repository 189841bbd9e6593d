"""Keyless signing through Sigstore: a Fulcio certificate for the CI's OIDC identity, the
signature logged in Rekor, the result a Sigstore bundle (v0.3) per artifact.

The `sigstore` library does the protocol; it is an optional extra
(`pip install 'evidencepack[keyless]'`) imported only when `--keyless` is given.
`BundleSigner` is the seam: tests inject one, and another Sigstore client could be one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import SigningKeyError

if TYPE_CHECKING:  # httpx is imported only when a token is fetched: every run imports this module
    import httpx

INSTALL_HINT = "pip install 'evidencepack[keyless]'"


class BundleSigner(ABC):
    """Signs an artifact's SHA-256 digest; returns the Sigstore bundle as JSON bytes."""

    @abstractmethod
    def sign_digest(self, name: str, digest: bytes) -> bytes:
        """The bundle for the artifact `name` whose SHA-256 is `digest`."""


class SigstoreBundleSigner(BundleSigner):
    """Sigstore's public-good instance (Fulcio, Rekor), through the `sigstore` library."""

    def __init__(self, token: str) -> None:
        self._token = token
        self._signer: Any = None

    def sign_digest(self, name: str, digest: bytes) -> bytes:
        try:
            from sigstore.hashes import Hashed
            from sigstore_models.common.v1 import HashAlgorithm
        except ImportError:
            raise SigningKeyError(f"--keyless needs the sigstore library ({INSTALL_HINT})") from None
        try:
            signer = self._open()
            bundle = signer.sign_artifact(Hashed(algorithm=HashAlgorithm.SHA2_256, digest=digest))
            return str(bundle.to_json()).encode("utf-8")
        except SigningKeyError:
            raise
        except Exception as exc:  # the library raises its own, httpx's, TUF's and OS errors
            raise SigningKeyError(
                f"keyless signing of {name} failed (Fulcio/Rekor unreachable, or the token "
                f"was refused): {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            ) from None

    def _open(self) -> Any:
        if self._signer is None:
            from sigstore.models import ClientTrustConfig
            from sigstore.oidc import IdentityToken
            from sigstore.sign import SigningContext

            context = SigningContext.from_trust_config(ClientTrustConfig.production())
            # The context manager only hands out the signer; it holds nothing to release.
            with context.signer(IdentityToken(self._token), cache=True) as signer:
                self._signer = signer
        return self._signer


def identity_token(env: Mapping[str, str], transport: httpx.BaseTransport | None = None) -> str:
    """The OIDC token to sign with: SIGSTORE_ID_TOKEN, else GitHub Actions' token service.

    On GitLab, declare `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore` in the job.
    """
    token = env.get("SIGSTORE_ID_TOKEN")
    if token:
        return token
    url, bearer = env.get("ACTIONS_ID_TOKEN_REQUEST_URL"), env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not url or not bearer:
        raise SigningKeyError(
            "--keyless needs an OIDC identity token: none in SIGSTORE_ID_TOKEN, and no GitHub "
            "Actions token service (give the job `permissions: id-token: write`)"
        )
    import httpx

    try:
        with httpx.Client(transport=transport, timeout=30) as client:
            # The URL carries its own query (api-version): add to it, do not replace it.
            target = httpx.URL(url).copy_merge_params({"audience": "sigstore"})
            response = client.get(target, headers={"Authorization": f"bearer {bearer}"})
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise SigningKeyError(f"cannot reach GitHub's OIDC token service: {exc}") from None
    if response.status_code != 200:
        raise SigningKeyError(f"GitHub's OIDC token service answered HTTP {response.status_code}")
    try:
        value = response.json().get("value")
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value:
        raise SigningKeyError("GitHub's OIDC token service sent no token")
    return value


def keyless_signer(env: Mapping[str, str],
                   transport: httpx.BaseTransport | None = None) -> BundleSigner:
    """The Sigstore signer for this run; exit 2 when the library or the token is missing."""
    try:
        import sigstore  # noqa: F401
    except ImportError:
        raise SigningKeyError(f"--keyless needs the sigstore library ({INSTALL_HINT})") from None
    return SigstoreBundleSigner(identity_token(env, transport))
