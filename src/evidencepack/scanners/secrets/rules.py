"""The credential formats evidencepack recognises, one `Rule` per format.

A rule is a keyword prefilter plus a regular expression. The engine first finds which
keywords occur in a text with one fast multi-literal scan and only then runs the regular
expressions of the rules whose keywords it saw. That only works if every match of a rule's
pattern contains at least one of its keywords (compared in lower case); the tests check
this property for every rule, on planted secrets and on strings generated from the pattern.

Patterns are written to run in linear time on hostile input: every quantifier that can
repeat a character class is bounded or stopped by a character the class excludes, runs
that start with a prefix are anchored with a look-behind so that a long run is entered
once rather than at every offset, and there are no nested unbounded quantifiers.

Where a format has a checksum (GitHub, npm), the rule verifies it; where it has structure
that can be decoded (JWT headers, Discord bot tokens, Basic credentials) the rule decodes
it; generic rules are gated by entropy and by filters for placeholders, references and
hashes, which are the usual false positives.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import itertools
import json
import math
import re
import tomllib
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...model import Severity


@dataclass(frozen=True)
class Rule:
    """One credential format."""

    id: str
    """Stable kebab-case identifier, e.g. ``github-pat-classic``; baselines refer to it."""
    description: str
    """One line for a person."""
    keywords: tuple[str, ...]
    """Lower-case literals; every match of `pattern` contains one of them (case-insensitively)."""
    pattern: re.Pattern[str]
    """The secret is the named group ``secret``, or the whole match when there is none."""
    severity: Severity = Severity.HIGH
    min_entropy: float | None = None
    """Shannon entropy (bits per character) the secret must reach; set on generic rules."""
    check: Callable[[str], bool] | None = None
    """Extra validation of the secret (a checksum, a decodable structure, not a placeholder)."""
    multiline: bool = False
    """A match can span lines, so the engine must look past the line that holds the keyword."""
    keyword_in_match: bool = True
    """False when a keyword may occur away from the match (gitleaks rules only require it
    somewhere in the text): the expression then runs over the whole text."""
    anchor: str | None = None
    """A regular expression every match contains, for formats whose only literal is too
    common to prefilter on (Twilio's two-letter prefixes): the prefilter looks for it instead
    of the keywords. Plain syntax that both Hyperscan and Python's `re` read the same way."""
    docs: str = ""
    """The provider's documentation of the token format, when known."""


# ---------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------


def shannon_entropy(text: str) -> float:
    """Shannon entropy of `text` in bits per character (0.0 for the empty string)."""
    if not text:
        return 0.0
    length = len(text)
    return -sum(n / length * math.log2(n / length) for n in Counter(text).values())


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""The alphabet GitHub and npm encode their token checksums in (digits, upper, lower)."""


def _base62(value: int, width: int) -> str:
    digits = []
    while value:
        value, rest = divmod(value, 62)
        digits.append(_BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def _crc32_base62_ok(body: str) -> bool:
    """True when `body` is 30 random base62 characters followed by their CRC32 in base62.

    This is the scheme GitHub published for its 2021 token formats and npm adopted for
    ``npm_`` tokens: the checksum covers the random part only, not the prefix, and is
    zero-padded to 6 characters.
    """
    if len(body) != 36 or not _ALNUM.fullmatch(body):
        return False
    return _base62(zlib.crc32(body[:30].encode("ascii")), 6) == body[30:]


_ALNUM = re.compile(r"[A-Za-z0-9]+", re.ASCII)
_GITHUB_LEGACY = re.compile(r"gh[pousr]_[A-Za-z0-9]{36}", re.ASCII)
# Refresh tokens have carried a 76-character body since the prefix was introduced; GitHub
# has not published whether or how that body is checksummed, so only the shape is checked.
_GITHUB_REFRESH_LONG = re.compile(r"ghr_[A-Za-z0-9]{76}", re.ASCII)
# Installation tokens issued from 2026 on are "ghs_<app id>_<JWT>" (about 520 characters,
# variable). The JWT is signed by GitHub and opaque to clients: only the shape is checked.
_GITHUB_STATELESS = re.compile(
    r"ghs_[0-9]{1,12}_eyJ[A-Za-z0-9_-]{10,1500}\.[A-Za-z0-9_-]{10,3000}\.[A-Za-z0-9_-]{10,1500}", re.ASCII
)
# Fine-grained PATs: "github_pat_" + 22 characters + "_" + 59 characters. GitHub has not
# documented a checksum for them (it is widely assumed the tail carries one, but its input
# is not public), so only the structure is validated.
_GITHUB_FINE_GRAINED = re.compile(r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}", re.ASCII)


def github_token_checksum_ok(token: str) -> bool:
    """True when `token` is a well-formed GitHub token whose checksum, where it has one, holds.

    Classic tokens (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_`` + 36 characters) end in
    6 base62 characters that are the CRC32 of the 30-character random part; that is verified.
    Fine-grained tokens (``github_pat_``), 80-character refresh tokens and the stateless
    installation tokens have no published checksum, so only their structure is verified.
    """
    if _GITHUB_LEGACY.fullmatch(token):
        return _crc32_base62_ok(token[4:])
    return bool(
        _GITHUB_REFRESH_LONG.fullmatch(token)
        or _GITHUB_STATELESS.fullmatch(token)
        or _GITHUB_FINE_GRAINED.fullmatch(token)
    )


def _npm_checksum_ok(token: str) -> bool:
    # npm tokens follow GitHub's format, checksum included.
    return token.startswith("npm_") and _crc32_base62_ok(token[4:])


# Keys printed in vendors' documentation and emulators. They are public, so finding one is
# noise, not a leak; every rule rejects them.
_KNOWN_EXAMPLES = frozenset({
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    # Azurite and the Cosmos DB emulator ship with fixed, documented account keys.
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
    # Stripe's documentation test keys.
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    # GitHub's documentation example of a refresh token (its shape is otherwise valid).
    "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498",
    # GitHub's documentation examples of OAuth and user-to-server tokens (no valid checksum).
    "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    "ghu_16C7e42F292c6912E7710c838347Ae178B4a",
})

_PLACEHOLDER_WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "changeme", "change_me", "secret", "example", "test",
    "testing", "guest", "admin", "root", "postgres", "mysql", "redis", "rabbitmq", "user",
    "username", "default", "none", "null", "nil", "undefined", "empty", "token", "apikey",
    "api_key", "mypassword", "yourpassword", "your_password", "foobar", "foo", "bar",
    "letmein", "hunter2", "p@ssw0rd", "passw0rd", "qwerty", "123456", "12345678", "s3cr3t",
    "secret123", "password123", "dummy", "fake", "sample", "value", "string",
})
_PLACEHOLDER_SHAPES = re.compile(
    r"""
    \$\{[^}]*\}                  # ${VAR}, ${{ expr }}
    | \$\([^)]*\)                # $(command)
    | \$[A-Za-z_][A-Za-z0-9_]*   # $VAR
    | %[A-Za-z_][A-Za-z0-9_]*%   # %VAR%
    | %\([A-Za-z_][A-Za-z0-9_]*\)s | %s
    | <[^<>]*>                   # <password>
    | \{\{.*\}\}                 # {{ template }}
    | \{[A-Za-z_][A-Za-z0-9_.]*\}  # {password}
    | \[[^\]]*\]                 # [password]
    | @[A-Za-z_][A-Za-z0-9_]*@   # @VAR@
    | (.)\1*                     # one character repeated: ***, xxxx, ....
    """,
    re.VERBOSE | re.ASCII | re.DOTALL,
)
_PLACEHOLDER_FRAGMENTS = (
    "${", "{{", "changeme", "change_me", "change-me", "placeholder", "example", "your_",
    "your-", "yourpass", "redacted", "dummy", "replace_me", "replace-me", "replaceme",
    "xxxxx", "*****", "insert_", "not_real", "not-a-real", "notreal", "sample",
)


def _is_placeholder(value: str) -> bool:
    """True for values that stand in for a secret rather than being one."""
    lowered = value.lower()
    if lowered in _PLACEHOLDER_WORDS or _PLACEHOLDER_SHAPES.fullmatch(value):
        return True
    return any(fragment in lowered for fragment in _PLACEHOLDER_FRAGMENTS)


_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _obviously_fake(value: str) -> bool:
    """Hand-typed stand-ins: documentation examples, long runs of one character, ``abcdef``."""
    if value in _KNOWN_EXAMPLES or "EXAMPLE" in value or "example" in value:
        return True
    if re.search(r"(.)\1{7}", value):
        return True
    # Six ascending characters in a row almost never occur in a random token (about 1e-6
    # per position even in hex) but are the first thing people type into an example.
    return any(seq[i : i + 6] in value for seq in _SEQUENCES for i in range(len(seq) - 5))


def _random_looking(min_entropy: float) -> Callable[[str], bool]:
    """A check for provider tokens: not a known example or stand-in, entropy at least `min_entropy`."""

    def check(secret: str) -> bool:
        return not _obviously_fake(secret) and shannon_entropy(secret) >= min_entropy

    return check


def _all(*checks: Callable[[str], bool]) -> Callable[[str], bool]:
    def check(secret: str) -> bool:
        return all(c(secret) for c in checks)

    return check


def _b64decode(text: str, *, urlsafe: bool) -> bytes | None:
    padded = text + "=" * (-len(text) % 4)
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _jwt_header_ok(token: str) -> bool:
    """The first part of a JWT decodes to a JSON object naming a signing algorithm."""
    raw = _b64decode(token.split(".", 1)[0], urlsafe=True)
    if raw is None:
        return False
    try:
        header = json.loads(raw)
    except ValueError:
        return False
    # An unsigned token ("alg": "none") carries no secret worth reporting.
    return isinstance(header, dict) and isinstance(header.get("alg"), str) and header["alg"].lower() != "none"


def _discord_bot_token_ok(token: str) -> bool:
    """The first part of a Discord bot token is the bot's numeric id, base64-encoded."""
    raw = _b64decode(token.split(".", 1)[0], urlsafe=True)
    return raw is not None and raw.isdigit() and 15 <= len(raw) <= 21


def _basic_credentials_ok(encoded: str) -> bool:
    """`encoded` is base64 of ``user:password`` with a password that is not a placeholder."""
    raw = _b64decode(encoded, urlsafe=False)
    if raw is None:
        return False
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    user, colon, password = text.partition(":")
    if not colon or not user or len(password) < 3 or not text.isprintable():
        return False
    return not _is_placeholder(password) and password != user


def _password_ok(password: str) -> bool:
    """The password of a URL or connection string is a real value, not a stand-in."""
    return not _is_placeholder(password) and not _obviously_fake(password)


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_DIGEST = re.compile(
    r"(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128}|[0-9A-F]{40}|[0-9A-F]{64})"
)
_REFERENCE = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+", re.ASCII)  # process.env.X
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", re.ASCII)  # DB_PASSWORD
_WORDS = re.compile(r"[a-z]+(?:[-_][a-z0-9]+)+|[a-z]+(?:[A-Z][a-z]+)+", re.ASCII)  # my-secret, getToken
_FILE_NAME = re.compile(
    r"[\w.-]+\.(?:json|ya?ml|txt|pem|key|crt|cer|env|cfg|conf|ini|toml|xml|properties|p12|pfx|jks|gpg)",
    re.ASCII | re.IGNORECASE,
)
_DIGEST_PREFIXES = ("sha1-", "sha256-", "sha384-", "sha512-", "sha1:", "sha256:", "sha512:", "md5:")
# Formats whose own rule gives a definite answer (a checksum): when that rule rejected a
# value (a documentation example with a wrong checksum), a generic rule must not report it.
_CHECKSUMMED_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "npm_")


def _generic_value_ok(*, hex_digest_ok: bool) -> Callable[[str], bool]:
    """A check for values of generic assignments, which are mostly not secrets.

    `hex_digest_ok` is False where a hex string of a hash's length is more likely a hash
    than a key (``password = <sha256>`` stores a digest; ``api_key = <32 hex>`` is a key).
    """

    def check(value: str) -> bool:
        lowered = value.lower()
        if _is_placeholder(value) or _obviously_fake(value):
            return False
        if value.startswith(("/", "./", "../", "~/", "data:", "file:")) or "://" in value:
            return False  # paths, data URIs and URLs (URLs with passwords have their own rules)
        if lowered.startswith(_DIGEST_PREFIXES):
            return False  # lockfile integrity fields and image digests
        if value.startswith(_CHECKSUMMED_PREFIXES):
            return False
        if (_UUID.fullmatch(value) or _REFERENCE.fullmatch(value) or _ENV_NAME.fullmatch(value)
                or _WORDS.fullmatch(value) or _FILE_NAME.fullmatch(value) or value.isdigit()):
            return False
        if not hex_digest_ok and _HEX_DIGEST.fullmatch(value):
            return False
        has_digit = any(c.isdigit() for c in value)
        has_symbol = any(not c.isalnum() for c in value)
        mixed_case = any(c.islower() for c in value) and any(c.isupper() for c in value)
        # Words and identifiers have neither digits nor symbols; a long random mixed-case
        # string without either is still accepted.
        return has_digit or has_symbol or (mixed_case and len(value) >= 20)

    return check


# ---------------------------------------------------------------------------------------
# Pattern building blocks
# ---------------------------------------------------------------------------------------

_START = r"(?<![A-Za-z0-9_-])"
"""A token starts here: entered once per run of token characters, never mid-run."""
_END = r"(?![A-Za-z0-9_-])"
_END_ALNUM = r"(?![A-Za-z0-9])"

_ASSIGN = r"""["']?[ \t]{0,16}(?::=|=>|=|:)[ \t]{0,16}["'`]?"""
"""Assignment in code and configuration: ``k = v``, ``k: v``, ``"k": "v"``, ``k := v``, ``k => v``."""

_SEGMENT = r"(?:(?<![A-Za-z])|(?<=[a-z])(?=[A-Z]))"
"""Start of a name segment: after a non-letter (``db_password``) or at a camelCase hump
(``dbPassword``), but not inside a word (``bypass``). Case-sensitive by design, so the
generic patterns are compiled without IGNORECASE and scope it to the name."""


def _separators(*words: str) -> tuple[str, ...]:
    """Every spelling of `words` joined by nothing, ``_``, ``-`` or ``.``, in lower case."""
    spellings = []
    for seps in itertools.product(("", "_", "-", "."), repeat=len(words) - 1):
        parts = [words[0]]
        for sep, word in zip(seps, words[1:], strict=True):
            parts += [sep, word]
        spellings.append("".join(parts))
    return tuple(spellings)


def _prefixed(prefix: str, body: str, right: str = _END) -> str:
    """A token that starts with the literal `prefix`; the secret is the whole token."""
    return f"{_START}(?P<secret>{re.escape(prefix)}{body}){right}"


def _gitlab(prefix: str, legacy_body: str) -> str:
    """A GitLab token: its legacy shape or the routable shape GitLab 17.x+ issues.

    Routable tokens are ``<prefix><base64url payload>.<2-char version>.<2-char length><7-char
    crc>`` (the version segment is absent in the first release of the format).
    """
    routable = r"[0-9A-Za-z_-]{27,300}\.(?:[0-9a-z]{2}\.)?[0-9a-z]{9}"
    return _prefixed(prefix, f"(?:{routable}|{legacy_body})")


_PEM_BODY = r"(?:[A-Za-z0-9+/=\s\\:,._()@<>']|-(?!----)){40,20000}"
"""The body of a PEM block: base64 lines, armour headers (``Proc-Type: 4,ENCRYPTED``),
literal ``\\n`` escapes (keys in JSON or env files). A dash may occur in headers but five
never do, so the body stops at the END line and a run of BEGIN lines costs linear time."""

# OpenSSL writes this header, exactly so, first in a passphrase-protected legacy PEM key.
_ENCRYPTED_HEADER = r"(?:\s|\\n){0,4}Proc-Type: 4,ENCRYPTED"


def _pem(label: str, *, after_begin: str = "") -> str:
    return f"(?P<secret>-----BEGIN {label}-----{after_begin}{_PEM_BODY}-----END {label}-----)"


def _url_password(schemes: str) -> str:
    """A URL whose user information carries a password: ``scheme://user:password@host``."""
    return (
        rf"(?<![A-Za-z0-9+.-])(?i:{schemes})://(?P<user>[^\s:/@'\"`]{{0,128}}):"
        # A password equal to the user name is a local default (postgres:postgres), not a leak.
        r"(?!(?P=user)@)"
        r"(?P<secret>[^\s/'\"`]{3,128})@(?=[A-Za-z0-9\[_.-])"
    )


def _generic(names: str, suffixes: str) -> str:
    """``name = value`` where the name says the value is secret.

    A name is one of `names`, optionally followed by one of `suffixes` (``secret_key``,
    ``api_key_value``); other suffixes (``_id``, ``_file``, ``_hash``, ``_url``...) say the
    value is not the secret itself and do not match.
    """
    return (
        rf"{_SEGMENT}(?i:{names})(?:[_.-]?(?i:{suffixes}))?"
        r"(?:[ \t]*:[ \t]*(?i:str|string)\b)?"  # Python annotations: password: str = "..."
        rf"{_ASSIGN}(?![=])"
        # Possessive: a value longer than the bound fails at once instead of being retried at
        # every shorter length against the look-ahead.
        r"""(?P<secret>[^\s"'`$<>{}()\[\];,\\|]{12,128}+)(?=["'`\s,;)}\]]|$)"""
    )


def _generic_rule(rule_id: str, description: str, keywords: Iterable[str], names: str,
                  suffixes: str, *, min_entropy: float, hex_digest_ok: bool) -> Rule:
    """A `_generic` assignment rule, prefiltered on the assignment rather than the name.

    Names such as ``token`` occur on many lines of ordinary code; an assignment to one is
    rarer, so the prefilter anchor is the name, an allowed suffix and the operator: a
    prefix of every match, minus the look-behind.
    """
    anchor = (rf"(?i)(?:{names})(?:[_.-]?(?:{suffixes}))?(?:[ \t]*:[ \t]*str(?:ing)?)?"
              r"[\"']?[ \t]{0,16}[:=]")
    return _rule(rule_id, description, keywords, _generic(names, suffixes), min_entropy=min_entropy,
                 check=_generic_value_ok(hex_digest_ok=hex_digest_ok), anchor=anchor)


def _rule(
    rule_id: str,
    description: str,
    keywords: Iterable[str],
    pattern: str,
    *,
    flags: int = 0,
    severity: Severity = Severity.HIGH,
    min_entropy: float | None = None,
    check: Callable[[str], bool] | None = None,
    multiline: bool = False,
    anchor: str | None = None,
    docs: str = "",
) -> Rule:
    return Rule(
        id=rule_id,
        description=description,
        keywords=tuple(keywords),
        pattern=re.compile(pattern, re.ASCII | flags),
        severity=severity,
        min_entropy=min_entropy,
        check=check,
        multiline=multiline,
        anchor=anchor,
        docs=docs,
    )


_RANDOM = _random_looking(3.0)
"""Enough to reject ``XXXX`` stand-ins; real tokens score 4 to 6."""

_GITHUB_DOCS = "https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/"
_GITLAB_DOCS = "https://docs.gitlab.com/security/tokens/#token-prefixes"
_SLACK_DOCS = "https://api.slack.com/authentication/token-types"
_STRIPE_DOCS = "https://docs.stripe.com/keys"
_PEM_DOCS = "https://datatracker.ietf.org/doc/html/rfc7468"


def _github_rule(prefix: str, rule_id: str, description: str, body: str = "[A-Za-z0-9]{36}") -> Rule:
    return _rule(
        rule_id, description, (prefix,), _prefixed(prefix, body, right=r"(?![A-Za-z0-9_])"),
        check=_all(github_token_checksum_ok, lambda s: s not in _KNOWN_EXAMPLES), docs=_GITHUB_DOCS,
    )


def _gitlab_rule(prefix: str, rule_id: str, description: str, legacy_body: str) -> Rule:
    return _rule(rule_id, description, (prefix.lower(),), _gitlab(prefix, legacy_body), check=_RANDOM,
                 docs=_GITLAB_DOCS)


def _prefixed_rule(
    rule_id: str, description: str, prefix: str, body: str, *, severity: Severity = Severity.HIGH,
    check: Callable[[str], bool] | None = _RANDOM, docs: str = "", right: str = _END,
) -> Rule:
    return _rule(rule_id, description, (prefix.lower(),), _prefixed(prefix, body, right), severity=severity,
                 check=check, docs=docs)


def _private_key_rule(
    rule_id: str, description: str, label: str, *, severity: Severity = Severity.CRITICAL,
    after_begin: str = "",
) -> Rule:
    return _rule(rule_id, description, (f"begin {label.lower()}",), _pem(label, after_begin=after_begin),
                 severity=severity, multiline=True, docs=_PEM_DOCS)


def _url_rule(rule_id: str, description: str, schemes: str, keywords: tuple[str, ...]) -> Rule:
    return _rule(rule_id, description, keywords, _url_password(schemes), check=_password_ok)


# ---------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------

_AWS_SECRET_NAMES = r"(?i:(?:aws[_.-]?)?secret[_.-]?access[_.-]?key|aws[_.-]?secret(?:[_.-]?key)?)"
_AWS_SESSION_NAMES = r"(?i:(?:aws[_.-]?)?session[_.-]?token|x-amz-security-token)"

# Azure SAS: the signature is only a secret next to the other SAS parameters, so the rule
# wants a signed version/expiry (sv=/se=YYYY-MM-DD) either before sig= (the match then
# starts there) or after it (checked by a look-ahead when the group `pre` did not match).
# The parameters in between are consumed one `&name=value` at a time, possessively and at
# most 16 of them: nothing is retried, so a text full of "sv=...&" stays linear.
_SAS_PARAM = r"s[ve]=[0-9]{4}-[0-9]{2}-[0-9]{2}"
_SAS_VALUE = r"[^&\s\"'<>`]"
_SAS = (
    rf"(?:(?P<pre>(?<![A-Za-z0-9_]){_SAS_PARAM}{_SAS_VALUE}{{0,60}}+"
    rf"(?:&(?!sig=)[A-Za-z]{{2,6}}={_SAS_VALUE}{{0,100}}+){{0,16}}+&)|(?<![A-Za-z0-9_%]))"
    r"sig=(?P<secret>[A-Za-z0-9%+/=]{30,150}+)(?![A-Za-z0-9%+/=])"
    rf"(?(pre)|(?=(?:&(?!s[ve]=)[A-Za-z]{{2,6}}={_SAS_VALUE}{{0,100}}+){{0,16}}+&{_SAS_PARAM}))"
)

# A Google service-account key file: the private key of a JSON object that also says it is
# a service account. Google writes the client e-mail right after the key; tools that sort
# keys write "type" after it. Looking ahead only (never back) keeps the rule anchored on its
# keyword and linear: a look-behind scan from every "type" would not be.
_GCP_SA = (
    r'"private_key"[ \t]*:[ \t]*"(?P<secret>-----BEGIN PRIVATE KEY-----[A-Za-z0-9+/=\\]{40,8000}'
    r'-----END PRIVATE KEY-----)(?:\\n)?"'
    r'(?=[\s\S]{0,800}?(?:"type"[ \t]*:[ \t]*"service_account"|\.iam\.gserviceaccount\.com))'
)

_TWILIO_SID_AND_TOKEN = (
    r"(?<![A-Za-z0-9])AC[0-9a-f]{32}(?![A-Za-z0-9])[\s\S]{0,200}?"
    r"(?<![A-Za-z0-9])(?P<secret>[0-9a-f]{32})(?![A-Za-z0-9])"
)

# Whatever lies between the name and the token may not hold digits, so the gap is taken
# whole (possessively) and the token must follow it: a lazy gap would retry at every offset.
_TELEGRAM = (
    r"(?i:telegram|bot)[^\n0-9]{0,40}+"
    r"(?P<secret>[0-9]{5,16}:A[A-Za-z0-9_-]{34})(?![A-Za-z0-9_-])"
)

_DISCORD_BOT = (
    rf"(?i:discord)[\w.-]{{0,30}}+{_ASSIGN}"
    r"(?P<secret>[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?![A-Za-z0-9_-])"
)

_CONNECTION_STRING_PASSWORD = (
    r"(?<=;)[ \t]*(?i:password|pwd)[ \t]*=[ \t]*(?P<secret>[^;\"'\s]{3,128})(?=[;\"'\s]|$)"
)

_HTTP_AUTH = r"""(?i:authorization)["']?[ \t]{0,3}[:=][ \t]{0,3}["']?"""

RULES: tuple[Rule, ...] = (
    # --- Amazon Web Services ------------------------------------------------------------
    _rule(
        "aws-access-key-id", "AWS access key ID (long-term AKIA or temporary ASIA)",
        ("akia", "asia", "abia", "acca", "a3t"),
        r"(?<![A-Za-z0-9])(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])",
        check=_RANDOM, docs="https://docs.aws.amazon.com/IAM/latest/UserGuide/security-creds.html",
    ),
    _rule(
        "aws-secret-access-key", "AWS secret access key assigned to an AWS secret key name",
        _separators("secret", "access", "key") + _separators("aws", "secret"),
        rf"{_AWS_SECRET_NAMES}{_ASSIGN}(?P<secret>[A-Za-z0-9/+]{{40}})(?![A-Za-z0-9/+=])",
        severity=Severity.CRITICAL, check=_random_looking(3.5),
        docs="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
    ),
    _rule(
        "aws-session-token", "AWS session token assigned to a session token name",
        (*_separators("session", "token"), "x-amz-security-token"),
        rf"{_AWS_SESSION_NAMES}{_ASSIGN}(?P<secret>[A-Za-z0-9/+]{{100,2000}}={{0,2}})(?![A-Za-z0-9/+=])",
        check=_random_looking(4.0),
        docs="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_use-resources.html",
    ),
    _rule(
        # STS tokens are base64 of a serialised structure that starts with the same bytes
        # ("!\n\torigin_ec" today, "\x17\n\x06er/aws" before), whatever they are assigned to.
        "aws-sts-token", "AWS STS session token, recognised by its encoded header",
        ("iqojb3jpz2lux2vj", "fwogzxivyxdze"),
        r"(?<![A-Za-z0-9/+])(?P<secret>(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE)[A-Za-z0-9/+]{100,2000}={0,2})"
        r"(?![A-Za-z0-9/+=])",
        check=_random_looking(4.0),
    ),
    # --- Google Cloud ---------------------------------------------------------------------
    _rule(
        "gcp-service-account-key", "Google Cloud service-account key file (private key in its JSON)",
        ("private_key",), _GCP_SA, severity=Severity.CRITICAL, multiline=True,
        docs="https://cloud.google.com/iam/docs/keys-create-delete",
    ),
    _prefixed_rule("gcp-api-key", "Google API key", "AIza", "[A-Za-z0-9_-]{35}",
                   docs="https://cloud.google.com/docs/authentication/api-keys"),
    _prefixed_rule("gcp-oauth-client-secret", "Google OAuth client secret", "GOCSPX-", "[A-Za-z0-9_-]{28}"),
    # --- Microsoft Azure ------------------------------------------------------------------
    _rule(
        "azure-storage-account-key", "Azure Storage / Cosmos DB account key in a connection string",
        ("accountkey=",),
        r"(?<![A-Za-z0-9])(?i:AccountKey)=(?P<secret>[A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])",
        severity=Severity.CRITICAL, check=_RANDOM,
        docs="https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string",
    ),
    _rule(
        "azure-shared-access-key", "Azure Service Bus / Event Hubs / IoT Hub shared access key",
        ("sharedaccesskey=",),
        r"(?<![A-Za-z0-9])(?i:SharedAccessKey)=(?P<secret>[A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/=])",
        check=_RANDOM,
        docs="https://learn.microsoft.com/azure/service-bus-messaging/service-bus-sas",
    ),
    _rule(
        "azure-sas-token", "Azure shared access signature (sig= with its sv=/se= parameters)",
        ("sig=",), _SAS, check=_random_looking(3.5),
        docs="https://learn.microsoft.com/rest/api/storageservices/create-service-sas",
    ),
    _rule(
        "azure-ad-client-secret", "Microsoft Entra ID (Azure AD) application client secret",
        ("q~",),
        r"(?<![A-Za-z0-9_~.-])(?P<secret>[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])",
        check=_random_looking(3.5),
        docs="https://learn.microsoft.com/purview/sit-defn-azure-ad-client-secret",
    ),
    # --- GitHub ---------------------------------------------------------------------------
    _github_rule("ghp_", "github-pat-classic", "GitHub personal access token (classic)"),
    _github_rule("gho_", "github-oauth-token", "GitHub OAuth app access token"),
    _github_rule("ghu_", "github-user-to-server-token", "GitHub App user-to-server token"),
    _github_rule(
        "ghs_", "github-server-to-server-token", "GitHub App installation (server-to-server) token",
        body=r"(?:[0-9]{1,12}_eyJ[A-Za-z0-9_-]{10,1500}\.[A-Za-z0-9_-]{10,3000}\.[A-Za-z0-9_-]{10,1500}"
             r"|[A-Za-z0-9]{36})",
    ),
    _github_rule("ghr_", "github-refresh-token", "GitHub App refresh token",
                 body="(?:[A-Za-z0-9]{76}|[A-Za-z0-9]{36})"),
    _github_rule("github_pat_", "github-pat-fine-grained", "GitHub fine-grained personal access token",
                 body="[A-Za-z0-9]{22}_[A-Za-z0-9]{59}"),
    _rule(
        # A random-looking token whose checksum fails is a fake, a test value or a mistyped
        # token: GitHub would refuse it, but it is still reported (at a lower severity, and
        # under its own id) so that a scan never stays silent about something shaped like a
        # credential. Tokens whose checksum holds are reported by the rules above instead.
        "github-token-unverified", "GitHub token shape whose checksum does not hold (fake or mistyped)",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        _prefixed("", r"gh[pousr]_[A-Za-z0-9]{36}", right=r"(?![A-Za-z0-9_])"),
        severity=Severity.MEDIUM,
        check=_all(lambda s: not github_token_checksum_ok(s), _random_looking(4.0)), docs=_GITHUB_DOCS,
    ),
    # --- GitLab ---------------------------------------------------------------------------
    _gitlab_rule("glpat-", "gitlab-pat", "GitLab personal, project or group access token",
                 "[0-9A-Za-z_-]{20}"),
    _gitlab_rule("gldt-", "gitlab-deploy-token", "GitLab deploy token", "[0-9A-Za-z_-]{20}"),
    _gitlab_rule("glrt-", "gitlab-runner-token", "GitLab runner authentication token",
                 "(?:t[0-9]_)?[0-9A-Za-z_-]{20}"),
    _rule(
        "gitlab-runner-registration-token", "GitLab runner registration token (legacy GR1348941 prefix)",
        ("gr1348941",), _prefixed("GR1348941", "[0-9A-Za-z_-]{20}"), check=_RANDOM, docs=_GITLAB_DOCS,
    ),
    _gitlab_rule("glcbt-", "gitlab-ci-job-token", "GitLab CI/CD job token",
                 "[0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20}"),
    _gitlab_rule("glptt-", "gitlab-pipeline-trigger-token", "GitLab pipeline trigger token", "[0-9a-f]{40}"),
    _gitlab_rule("glft-", "gitlab-feed-token", "GitLab feed token", "[0-9A-Za-z_-]{20}"),
    _gitlab_rule("gloas-", "gitlab-oauth-app-secret", "GitLab OAuth application secret", "[0-9A-Za-z_-]{64}"),
    _gitlab_rule("glimt-", "gitlab-incoming-mail-token", "GitLab incoming email token", "[0-9A-Za-z_-]{25}"),
    _gitlab_rule("glagent-", "gitlab-agent-token", "GitLab agent for Kubernetes token", "[0-9A-Za-z_-]{50}"),
    _gitlab_rule("glsoat-", "gitlab-scim-token", "GitLab SCIM OAuth token", "[0-9A-Za-z_-]{20}"),
    _gitlab_rule("glffct-", "gitlab-feature-flag-client-token", "GitLab feature flags client token",
                 "[0-9A-Za-z_-]{20}"),
    # --- Slack ----------------------------------------------------------------------------
    _prefixed_rule("slack-bot-token", "Slack bot token", "xoxb-",
                   "[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,34}",
                   docs=_SLACK_DOCS),
    _prefixed_rule("slack-user-token", "Slack user token", "xoxp-",
                   "[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32}", docs=_SLACK_DOCS),
    _prefixed_rule("slack-app-token", "Slack app-level token", "xapp-",
                   "[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[A-Za-z0-9]{32,80}", docs=_SLACK_DOCS),
    _prefixed_rule("slack-config-token", "Slack configuration or rotating token", "xoxe",
                   r"(?:\.xox[bp])?-[0-9]-[A-Za-z0-9]{140,180}", docs=_SLACK_DOCS),
    _rule(
        "slack-webhook-url", "Slack incoming webhook or workflow trigger URL", ("hooks.slack.com",),
        r"https://hooks\.slack\.com/(?:services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}"
        r"|(?:workflows|triggers)/T[A-Z0-9]{8,12}/A[A-Z0-9]{8,12}/[0-9]{8,20}/[a-f0-9]{32})(?![A-Za-z0-9])",
        check=_RANDOM, docs="https://api.slack.com/messaging/webhooks",
    ),
    # --- Payments -------------------------------------------------------------------------
    _prefixed_rule("stripe-secret-key", "Stripe live secret key", "sk_live_", "[A-Za-z0-9]{24,247}",
                   severity=Severity.CRITICAL, docs=_STRIPE_DOCS, right=_END_ALNUM),
    _prefixed_rule("stripe-restricted-key", "Stripe live restricted key", "rk_live_", "[A-Za-z0-9]{24,247}",
                   docs=_STRIPE_DOCS, right=_END_ALNUM),
    _rule(
        "stripe-test-key", "Stripe test-mode secret or restricted key (no live money, still a credential)",
        ("sk_test_", "rk_test_"),
        r"(?<![A-Za-z0-9_-])(?P<secret>[sr]k_test_[A-Za-z0-9]{24,247})(?![A-Za-z0-9])",
        severity=Severity.LOW, check=_RANDOM, docs=_STRIPE_DOCS,
    ),
    _prefixed_rule("webhook-signing-secret", "Stripe or Svix webhook signing secret", "whsec_",
                   "[A-Za-z0-9+/]{32,88}={0,2}", severity=Severity.MEDIUM,
                   right=r"(?![A-Za-z0-9+/=_-])"),
    _rule(
        "square-access-token", "Square access token or OAuth secret", ("sq0atp-", "sq0csp-"),
        r"(?<![A-Za-z0-9_-])(?P<secret>sq0atp-[A-Za-z0-9_-]{22}|sq0csp-[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])",
        check=_RANDOM, docs="https://developer.squareup.com/docs/build-basics/access-tokens",
    ),
    # --- Messaging and e-mail -------------------------------------------------------------
    _rule(
        "twilio-api-key-sid", "Twilio API key SID (SK...), which names an API key and its secret",
        ("sk",), r"(?<![A-Za-z0-9])(?P<secret>SK[0-9a-f]{32})(?![A-Za-z0-9])",
        severity=Severity.MEDIUM, check=_RANDOM, anchor="SK[0-9a-f]{32}", docs="https://www.twilio.com/docs/iam/api-keys",
    ),
    _rule(
        "twilio-account-sid-and-auth-token", "Twilio account SID followed by its auth token",
        ("ac",), _TWILIO_SID_AND_TOKEN, check=_RANDOM, multiline=True, anchor="AC[0-9a-f]{32}",
        docs="https://www.twilio.com/docs/iam/credentials/api",
    ),
    _rule(
        "twilio-auth-token", "Twilio auth token assigned to a Twilio name", ("twilio",),
        rf"(?i:twilio[\w.-]{{0,20}}?(?:auth[_.-]?token|token|secret)){_ASSIGN}"
        r"(?P<secret>[0-9a-f]{32})(?![A-Za-z0-9])",
        check=_RANDOM, docs="https://www.twilio.com/docs/iam/credentials/api",
    ),
    _rule(
        "sendgrid-api-key", "SendGrid API key", ("sg.",),
        r"(?<![A-Za-z0-9_-])(?P<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])",
        check=_RANDOM, docs="https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys",
    ),
    _prefixed_rule("mailgun-api-key", "Mailgun private API key (key- format)", "key-", "[0-9a-f]{32}"),
    _rule(
        "mailgun-signing-key", "Mailgun private API or webhook signing key assigned to a Mailgun name",
        ("mailgun",),
        rf"(?i:mailgun)[\w.-]{{0,30}}+{_ASSIGN}(?P<secret>[0-9a-f]{{32}}-[0-9a-f]{{8}}-[0-9a-f]{{8}})"
        r"(?![A-Za-z0-9-])",
        check=_RANDOM,
    ),
    _prefixed_rule("brevo-api-key", "Brevo (Sendinblue) API key", "xkeysib-", "[0-9a-f]{64}-[A-Za-z0-9]{16}"),
    _rule(
        "discord-bot-token", "Discord bot token assigned to a Discord name", ("discord",), _DISCORD_BOT,
        check=_discord_bot_token_ok, docs="https://discord.com/developers/docs/reference#authentication",
    ),
    _rule(
        "discord-webhook-url", "Discord webhook URL (its token lets anyone post)", ("discord",),
        r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/(?:v[0-9]{1,2}/)?webhooks/[0-9]{17,20}/"
        r"[A-Za-z0-9_-]{60,68}(?![A-Za-z0-9_-])",
        check=_RANDOM, docs="https://discord.com/developers/docs/resources/webhook",
    ),
    _rule(
        "telegram-bot-token", "Telegram bot token near a telegram/bot name", ("telegram", "bot"), _TELEGRAM,
        check=_RANDOM, docs="https://core.telegram.org/bots/api#authorizing-your-bot",
    ),
    # --- Monitoring and platforms ---------------------------------------------------------
    _rule(
        "datadog-api-key", "Datadog API key assigned to a Datadog API key name",
        ("datadog", *_separators("dd", "api")),
        rf"(?i:(?:datadog[\w.-]{{0,20}}?|dd[_.-]?)api[_.-]?key){_ASSIGN}(?P<secret>[0-9a-f]{{32}})(?![A-Za-z0-9])",
        check=_RANDOM, docs="https://docs.datadoghq.com/account_management/api-app-keys/",
    ),
    _rule(
        "datadog-app-key", "Datadog application key assigned to a Datadog application key name",
        ("datadog", *_separators("dd", "app")),
        rf"(?i:(?:datadog[\w.-]{{0,20}}?|dd[_.-]?)app(?:lication)?[_.-]?key){_ASSIGN}"
        r"(?P<secret>[0-9a-f]{40})(?![A-Za-z0-9])",
        check=_RANDOM, docs="https://docs.datadoghq.com/account_management/api-app-keys/",
    ),
    _rule(
        "heroku-api-key", "Heroku API key (a UUID) assigned to a Heroku key or token name", ("heroku",),
        rf"(?i:heroku[\w.-]{{0,20}}?(?:api[_.-]?key|key|token|password|secret)){_ASSIGN}"
        r"(?P<secret>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
        r"(?![A-Za-z0-9-])",
        check=_RANDOM, docs="https://devcenter.heroku.com/articles/authentication",
    ),
    _prefixed_rule("heroku-api-key-v2", "Heroku API key (HRKU- format)", "HRKU-", "[0-9A-Za-z_-]{60}",
                   docs="https://devcenter.heroku.com/articles/authentication"),
    _prefixed_rule("new-relic-user-api-key", "New Relic user API key", "NRAK-", "[A-Z0-9]{27}",
                   docs="https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/"),
    _prefixed_rule("grafana-service-account-token", "Grafana service account token", "glsa_",
                   "[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
                   docs="https://grafana.com/docs/grafana/latest/administration/service-accounts/"),
    _prefixed_rule("grafana-cloud-token", "Grafana Cloud access policy or API token", "glc_",
                   "[A-Za-z0-9+/]{32,400}={0,3}", right=r"(?![A-Za-z0-9+/=_-])"),
    _rule(
        "sentry-auth-token", "Sentry organisation or user auth token", ("sntrys_", "sntryu_"),
        r"(?<![A-Za-z0-9_-])(?P<secret>sntrys_eyJ[A-Za-z0-9+/=]{20,1000}_[A-Za-z0-9+/]{43}|sntryu_[a-f0-9]{64})"
        r"(?![A-Za-z0-9+/=_-])",
        check=_RANDOM, docs="https://docs.sentry.io/account/auth-tokens/",
    ),
    _rule(
        "digitalocean-token", "DigitalOcean personal access, OAuth or refresh token",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        r"(?<![A-Za-z0-9_-])(?P<secret>do[opr]_v1_[a-f0-9]{64})(?![A-Za-z0-9_-])", check=_RANDOM,
        docs="https://docs.digitalocean.com/reference/api/create-personal-access-token/",
    ),
    _rule(
        "databricks-token", "Databricks personal access token", ("dapi",),
        r"(?<![A-Za-z0-9_-])(?P<secret>dapi[a-f0-9]{32}(?:-[0-9])?)(?![A-Za-z0-9_-])", check=_RANDOM,
        docs="https://docs.databricks.com/dev-tools/auth/pat.html",
    ),
    _prefixed_rule("pulumi-access-token", "Pulumi access token", "pul-", "[a-f0-9]{40}",
                   docs="https://www.pulumi.com/docs/pulumi-cloud/access-management/access-tokens/"),
    _rule(
        "hashicorp-vault-token", "HashiCorp Vault service, batch or recovery token", ("hvs.", "hvb.", "hvr."),
        r"(?<![A-Za-z0-9_.-])(?P<secret>hv[sbr]\.[A-Za-z0-9_-]{24,400})(?![A-Za-z0-9_.-])", check=_RANDOM,
        docs="https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes",
    ),
    _rule(
        "terraform-cloud-token", "HCP Terraform / Terraform Enterprise API token", ("atlasv1",),
        r"(?<![A-Za-z0-9])(?P<secret>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})(?![A-Za-z0-9_=-])",
        check=_RANDOM,
        docs="https://developer.hashicorp.com/terraform/cloud-docs/users-teams-organizations/api-tokens",
    ),
    _rule(
        "doppler-token", "Doppler personal, service, service-account or CLI token",
        ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
        r"(?<![A-Za-z0-9_.-])(?P<secret>dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9._-]{40,90})(?![A-Za-z0-9_-])",
        check=_RANDOM, docs="https://docs.doppler.com/reference/auth-token-formats",
    ),
    _prefixed_rule("linear-api-key", "Linear API key", "lin_api_", "[A-Za-z0-9]{40}"),
    _prefixed_rule("postman-api-key", "Postman API key", "PMAK-", "[a-f0-9]{24}-[a-f0-9]{34}",
                   docs="https://learning.postman.com/docs/developer/postman-api/authentication/"),
    _rule(
        "planetscale-token", "PlanetScale service token, password or OAuth token", ("pscale_",),
        r"(?<![A-Za-z0-9_-])(?P<secret>pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=-]{32,64})(?![A-Za-z0-9_.=-])",
        check=_RANDOM,
    ),
    _prefixed_rule("supabase-access-token", "Supabase personal access token", "sbp_", "[a-f0-9]{40}"),
    _prefixed_rule("flyio-token", "Fly.io access token", "fo1_", "[A-Za-z0-9_-]{43}"),
    _prefixed_rule("atlassian-api-token", "Atlassian (Jira, Confluence) API token", "ATATT3",
                   "[A-Za-z0-9_=-]{186}",
                   right=r"(?![A-Za-z0-9_=-])",
                   docs="https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/"),
    _prefixed_rule("alibaba-access-key-id", "Alibaba Cloud AccessKey ID", "LTAI", "[A-Za-z0-9]{20}"),
    _rule(
        "firebase-cloud-messaging-key", "Firebase Cloud Messaging legacy server key", ("apa91b",),
        r"(?<![A-Za-z0-9_-])(?P<secret>AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{134})(?![A-Za-z0-9_-])",
        check=_RANDOM,
    ),
    # --- Commerce -------------------------------------------------------------------------
    _prefixed_rule("shopify-access-token", "Shopify Admin API access token", "shpat_", "[a-fA-F0-9]{32}"),
    _prefixed_rule("shopify-shared-secret", "Shopify app shared secret", "shpss_", "[a-fA-F0-9]{32}"),
    _prefixed_rule("shopify-custom-app-token", "Shopify custom app access token", "shpca_",
                   "[a-fA-F0-9]{32}"),
    _prefixed_rule("shopify-private-app-token", "Shopify private app access token", "shppa_",
                   "[a-fA-F0-9]{32}"),
    # --- Package registries ---------------------------------------------------------------
    _rule(
        "npm-access-token", "npm access token (checksum verified)", ("npm_",),
        _prefixed("npm_", "[A-Za-z0-9]{36}", right=r"(?![A-Za-z0-9_])"), check=_npm_checksum_ok,
        docs="https://github.blog/2021-09-23-announcing-npms-new-access-token-format/",
    ),
    _rule(
        "npmrc-auth", "Registry credential in an .npmrc (_authToken, _auth or _password)",
        ("_auth", "_password"),
        r"(?<![A-Za-z0-9])(?i:_authToken|_auth|_password)[ \t]{0,8}=[ \t]{0,8}[\"']?"
        r"(?P<secret>[A-Za-z0-9._~+/=-]{16,500})(?![A-Za-z0-9._~+/=-])",
        check=_all(_password_ok, _random_looking(3.0)),
        docs="https://docs.npmjs.com/cli/configuring-npm/npmrc#auth-related-configuration",
    ),
    _prefixed_rule("pypi-token", "PyPI API token", "pypi-AgEIcHlwaS5vcmc", "[A-Za-z0-9_-]{50,1000}",
                   docs="https://pypi.org/help/#apitoken"),
    _prefixed_rule("pypi-test-token", "TestPyPI API token", "pypi-AgENdGVzdC5weXBpLm9yZ",
                   "[A-Za-z0-9_-]{50,1000}",
                   severity=Severity.MEDIUM, docs="https://pypi.org/help/#apitoken"),
    _prefixed_rule("rubygems-api-key", "RubyGems API key", "rubygems_", "[a-f0-9]{48}",
                   docs="https://guides.rubygems.org/api-key-scopes/"),
    _rule(
        "nuget-api-key", "NuGet.org API key", ("oy2",),
        r"(?<![A-Za-z0-9])(?P<secret>oy2[a-z0-9]{43})(?![A-Za-z0-9])", check=_RANDOM,
        docs="https://learn.microsoft.com/nuget/nuget-org/scoped-api-keys",
    ),
    _prefixed_rule("docker-hub-pat", "Docker Hub personal access token", "dckr_pat_", "[A-Za-z0-9_-]{27}",
                   docs="https://docs.docker.com/security/for-developers/access-tokens/"),
    _prefixed_rule("docker-hub-oat", "Docker Hub organization access token", "dckr_oat_",
                   "[A-Za-z0-9_-]{27,64}",
                   docs="https://docs.docker.com/security/for-admins/access-tokens/"),
    _rule(
        "docker-config-auth",
        "Registry credentials in a Docker config.json (\"auth\": base64 of user:password)",
        ('"auth"',),
        r'"auth"[ \t]*:[ \t]*"(?P<secret>[A-Za-z0-9+/]{8,1000}={0,2})"', check=_basic_credentials_ok,
        docs="https://docs.docker.com/reference/cli/docker/login/#credential-stores",
    ),
    # --- AI providers ---------------------------------------------------------------------
    _rule(
        "openai-api-key", "OpenAI API key (project, service account, admin or legacy)", ("t3blbkfj",),
        r"(?<![A-Za-z0-9_-])(?P<secret>sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,160}T3BlbkFJ"
        r"[A-Za-z0-9_-]{20,160})(?![A-Za-z0-9_-])",
        check=_RANDOM,
    ),
    _prefixed_rule("anthropic-api-key", "Anthropic API key", "sk-ant-api03-", "[A-Za-z0-9_-]{93}AA"),
    _prefixed_rule("anthropic-admin-key", "Anthropic Admin API key", "sk-ant-admin01-",
                   "[A-Za-z0-9_-]{93}AA"),
    _prefixed_rule("huggingface-token", "Hugging Face user access token", "hf_", "[A-Za-z]{34}",
                   docs="https://huggingface.co/docs/hub/security-tokens", right=r"(?![A-Za-z0-9_])"),
    _prefixed_rule("huggingface-org-token", "Hugging Face organization API token", "api_org_", "[A-Za-z]{34}",
                   right=r"(?![A-Za-z0-9_])"),
    # --- Private keys ---------------------------------------------------------------------
    _private_key_rule("private-key-rsa", "RSA private key (PKCS#1 PEM)", "RSA PRIVATE KEY",
                      after_begin=f"(?!{_ENCRYPTED_HEADER})"),
    _private_key_rule("private-key-ec", "EC private key (SEC 1 PEM)", "EC PRIVATE KEY",
                      after_begin=f"(?!{_ENCRYPTED_HEADER})"),
    _private_key_rule("private-key-dsa", "DSA private key (PEM)", "DSA PRIVATE KEY",
                      after_begin=f"(?!{_ENCRYPTED_HEADER})"),
    _private_key_rule("private-key-openssh", "OpenSSH private key", "OPENSSH PRIVATE KEY"),
    _private_key_rule("private-key-pkcs8", "Private key in PKCS#8 PEM (unencrypted)", "PRIVATE KEY"),
    _private_key_rule("private-key-pkcs8-encrypted", "Passphrase-encrypted private key (PKCS#8 PEM)",
                      "ENCRYPTED PRIVATE KEY", severity=Severity.MEDIUM),
    _rule(
        "private-key-legacy-encrypted", "Passphrase-encrypted RSA/EC/DSA private key (OpenSSL legacy PEM)",
        ("proc-type: 4,encrypted",),
        rf"(?P<secret>-----BEGIN (?P<kind>RSA|EC|DSA) PRIVATE KEY-----{_ENCRYPTED_HEADER}{_PEM_BODY}"
        r"-----END (?P=kind) PRIVATE KEY-----)",
        severity=Severity.MEDIUM, multiline=True, docs=_PEM_DOCS,
    ),
    _private_key_rule("private-key-pgp", "PGP private key block", "PGP PRIVATE KEY BLOCK"),
    _prefixed_rule(
        "age-secret-key", "age encryption secret key", "AGE-SECRET-KEY-1",
        "[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        docs="https://age-encryption.org/v1",
    ),
    # --- Tokens and HTTP credentials ------------------------------------------------------
    _rule(
        "jwt", "JSON Web Token (header decodes to JSON naming a signing algorithm)", ("eyj",),
        r"(?<![A-Za-z0-9_-])(?P<secret>eyJ[A-Za-z0-9_-]{10,4000}\.eyJ[A-Za-z0-9_-]{2,8000}\.[A-Za-z0-9_-]{16,2000})"
        r"(?![A-Za-z0-9_-])",
        severity=Severity.MEDIUM, check=_jwt_header_ok, docs="https://datatracker.ietf.org/doc/html/rfc7519",
    ),
    _rule(
        "http-basic-auth", "HTTP Basic credentials in an Authorization header", ("authorization",),
        rf"{_HTTP_AUTH}(?i:basic)[ \t]+(?P<secret>[A-Za-z0-9+/]{{6,1000}}={{0,2}})(?![A-Za-z0-9+/=])",
        check=_basic_credentials_ok, docs="https://datatracker.ietf.org/doc/html/rfc7617",
    ),
    _rule(
        "http-bearer-token", "Bearer token in an Authorization header", ("authorization",),
        rf"{_HTTP_AUTH}(?i:bearer)[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{{20,4000}}=*)(?![A-Za-z0-9._~+/=-])",
        severity=Severity.MEDIUM, min_entropy=3.5, check=_generic_value_ok(hex_digest_ok=True),
        docs="https://datatracker.ietf.org/doc/html/rfc6750",
    ),
    # --- Database and broker URLs ---------------------------------------------------------
    _url_rule("postgres-url-password", "PostgreSQL URL with an inline password",
              r"postgres(?:ql)?(?:\+[a-z0-9]+)?",
              ("postgres",)),
    _url_rule("mysql-url-password", "MySQL / MariaDB URL with an inline password",
              r"mysql(?:\+[a-z0-9]+)?|mariadb",
              ("mysql", "mariadb")),
    _url_rule("mongodb-url-password", "MongoDB URL with an inline password", r"mongodb(?:\+srv)?",
              ("mongodb",)),
    _url_rule("redis-url-password", "Redis URL with an inline password", r"rediss?", ("redis",)),
    _url_rule("amqp-url-password", "AMQP (RabbitMQ) URL with an inline password", r"amqps?", ("amqp",)),
    _url_rule("mssql-url-password", "SQL Server URL with an inline password", r"mssql|sqlserver",
              ("mssql", "sqlserver")),
    _rule(
        "connection-string-password", "Password=... field of an ADO.NET / ODBC / JDBC connection string",
        ("password", "pwd"), _CONNECTION_STRING_PASSWORD, check=_password_ok,
    ),
    # --- Generic assignments (last: a specific rule finding the same value wins) --------
    _generic_rule(
        "generic-password", "Password assigned in code or configuration", ("pass", "pwd"),
        r"pass(?:word|wd|phrase)?|pwd",
        r"value|str|string|plain|plaintext|text",
        min_entropy=3.0, hex_digest_ok=False,
    ),
    _generic_rule(
        "generic-secret", "Secret assigned in code or configuration", ("secret",),
        "secret",
        r"key|value|str|string|token|b64|base64",
        min_entropy=3.5, hex_digest_ok=True,
    ),
    _generic_rule(
        "generic-token", "Token assigned in code or configuration", ("token",),
        "token",
        r"value|str|string|secret|key",
        min_entropy=3.5, hex_digest_ok=True,
    ),
    _generic_rule(
        "generic-api-key", "API or access key assigned in code or configuration",
        _separators("api", "key") + _separators("access", "key") + _separators("auth", "key"),
        r"api[_.-]?key|access[_.-]?key|auth[_.-]?key",
        r"value|str|string|secret",
        min_entropy=3.5, hex_digest_ok=True,
    ),
)


# ---------------------------------------------------------------------------------------
# Pattern analysis (used to load gitleaks rules and to check the rules above)
# ---------------------------------------------------------------------------------------

# The parser behind `re`; its tree tells which literals every match contains and whether
# a pattern can match a line break. It is private but stable across CPython 3.11-3.13.
_PARSER: Any = importlib.import_module("re._parser")
_C: Any = importlib.import_module("re._constants")
_NEWLINE = ord("\n")
_NEWLINE_CATEGORIES = {_C.CATEGORY_SPACE, _C.CATEGORY_NOT_DIGIT, _C.CATEGORY_NOT_WORD,
                       _C.CATEGORY_LINEBREAK, _C.CATEGORY_UNI_SPACE, _C.CATEGORY_UNI_NOT_DIGIT,
                       _C.CATEGORY_UNI_NOT_WORD, _C.CATEGORY_UNI_LINEBREAK}


def _parse(pattern: re.Pattern[str]) -> Any:
    return _PARSER.parse(pattern.pattern, pattern.flags)


def _set_has_newline(items: Any) -> bool:
    negate = False
    found = False
    for op, av in items:
        if op is _C.NEGATE:
            negate = True
        elif op is _C.LITERAL:
            found = found or av == _NEWLINE
        elif op is _C.RANGE:
            found = found or av[0] <= _NEWLINE <= av[1]
        elif op is _C.CATEGORY:
            found = found or av in _NEWLINE_CATEGORIES
        else:  # RANGE_UNI_IGNORE and the like: assume the worst
            found = True
    return found != negate


def _may_match_newline(items: Any, dotall: bool) -> bool:
    for op, av in items:
        if op is _C.LITERAL:
            if av == _NEWLINE:
                return True
        elif op is _C.NOT_LITERAL:
            if av != _NEWLINE:
                return True
        elif op is _C.ANY:
            if dotall:
                return True
        elif op is _C.IN:
            if _set_has_newline(av):
                return True
        elif op is _C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            flag_dotall = (dotall or bool(add_flags & re.DOTALL)) and not del_flags & re.DOTALL
            if _may_match_newline(sub, flag_dotall):
                return True
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
            if _may_match_newline(av[2], dotall):
                return True
        elif op is _C.BRANCH:
            if any(_may_match_newline(branch, dotall) for branch in av[1]):
                return True
        elif op is _C.ATOMIC_GROUP:
            if _may_match_newline(av, dotall):
                return True
        elif op is _C.GROUPREF_EXISTS:
            _group, yes, no = av
            if _may_match_newline(yes, dotall) or (no is not None and _may_match_newline(no, dotall)):
                return True
        elif op in (_C.ASSERT, _C.ASSERT_NOT, _C.AT):
            continue  # zero-width: consumes nothing
        elif op is _C.GROUPREF:
            return True  # a back-reference repeats a group: assume the worst
    return False


def may_span_lines(pattern: re.Pattern[str]) -> bool:
    """True when some match of `pattern` can contain a line break (the rule is multi-line)."""
    return _may_match_newline(_parse(pattern), bool(pattern.flags & re.DOTALL))


def _literal_runs(items: Any, out: list[str], current: list[str]) -> None:
    """Collect the runs of literal characters that every match contains, in order.

    Only constructs that are matched exactly once contribute; alternatives, optional or
    repeated parts end the current run. Zero-width assertions do not end it.
    """
    for op, av in items:
        if op is _C.LITERAL:
            current.append(chr(av))
        elif op in (_C.AT, _C.ASSERT, _C.ASSERT_NOT):
            continue
        elif op is _C.SUBPATTERN:
            _literal_runs(av[3], out, current)
        elif op is _C.ATOMIC_GROUP:
            _literal_runs(av, out, current)
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT) and av[0] == av[1] == 1:
            _literal_runs(av[2], out, current)
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT) and av[0] >= 1:
            # Present in every match, but not contiguous with what surrounds it.
            _flush(out, current)
            _literal_runs(av[2], out, current)
            _flush(out, current)
        else:
            _flush(out, current)


def _flush(out: list[str], current: list[str]) -> None:
    if current:
        out.append("".join(current))
        current.clear()


def required_literals(pattern: re.Pattern[str]) -> list[str]:
    """The literal strings every match of `pattern` contains, in lower case, in pattern order."""
    runs: list[str] = []
    current: list[str] = []
    _literal_runs(_parse(pattern), runs, current)
    _flush(runs, current)
    return [run.lower() for run in runs]


def required_literal(pattern: re.Pattern[str]) -> str | None:
    """The longest literal string every match of `pattern` contains, in lower case, or None."""
    return max(required_literals(pattern), key=len, default=None)


# ---------------------------------------------------------------------------------------
# gitleaks configuration files
# ---------------------------------------------------------------------------------------

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7F", "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F", "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
    "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


class _GoSyntaxError(ValueError):
    """A construct of Go's RE2 syntax that has no Python equivalent here."""


def _translate_go_regex(regex: str) -> tuple[str, list[int]]:
    """Rewrite a Go (RE2) regular expression into Python syntax.

    Returns the pattern and the offsets of the opening parentheses of its capturing groups,
    in group order. Handled: flags set mid-pattern (``x(?i)y``, which Python only accepts at
    the start) become scoped groups ending where Go's flag scope ends (the enclosing group or
    the next ``|`` of that group); ``(?<name>`` becomes ``(?P<name>``; ``\\z`` becomes
    ``\\Z``; ``\\Q...\\E`` is quoted; ``[[:alpha:]]`` classes are expanded. Unicode classes
    (``\\pL``) and ungreedy mode (``U``) are left to fail compilation or rejected.
    """
    out: list[str] = []
    groups: list[int] = []
    # For each open group (and the top level), how many scoped flag groups we opened in it.
    pending: list[int] = [0]
    pending_flags: list[list[str]] = [[]]
    i = 0
    n = len(regex)
    in_class = False
    while i < n:
        c = regex[i]
        if c == "\\" and i + 1 < n:
            nxt = regex[i + 1]
            if nxt == "Q":
                end = regex.find("\\E", i + 2)
                literal = regex[i + 2 :] if end < 0 else regex[i + 2 : end]
                out.append(re.escape(literal))  # escaped characters are literal in a class too
                i = n if end < 0 else end + 2
                continue
            out.append("\\Z" if nxt == "z" and not in_class else c + nxt)
            i += 2
            continue
        if in_class:
            if c == "[" and regex.startswith("[:", i):
                end = regex.find(":]", i + 2)
                name = regex[i + 2 : end] if end > 0 else ""
                negated = name.startswith("^")
                if name.lstrip("^") in _POSIX_CLASSES and not negated:
                    out.append(_POSIX_CLASSES[name])
                    i = end + 2
                    continue
                raise _GoSyntaxError(f"POSIX class [:{name}:] is not supported")
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            # A leading ] or ^] is a literal, not the end of the class.
            if regex.startswith("^", i):
                out.append("^")
                i += 1
            if regex.startswith("]", i):
                out.append("\\]")
                i += 1
            continue
        if c == "(":
            flags = re.match(r"\(\?([imsU]*(?:-[imsU]*)?)\)", regex[i:])
            if flags and flags.group(1):
                spec = flags.group(1)
                if "U" in spec:
                    raise _GoSyntaxError("ungreedy mode (?U) has no Python equivalent")
                if not out and len(pending) == 1 and "-" not in spec:
                    out.append(f"(?{spec})")  # leading global flags are valid Python as they are
                else:
                    out.append(f"(?{spec}:")
                    pending[-1] += 1
                    pending_flags[-1].append(spec)
                i += flags.end()
                continue
            if regex.startswith("(?<", i) and not regex.startswith(("(?<=", "(?<!"), i):
                groups.append(len("".join(out)))
                out.append("(?P<")
                i += 3
            elif regex.startswith("(?P<", i) or not regex.startswith("(?", i):
                groups.append(len("".join(out)))
                out.append(c)
                i += 1
            else:
                out.append(c)
                i += 1
            pending.append(0)
            pending_flags.append([])
            continue
        if c == "|":
            # Go's flag scope ends at the end of the alternative's group, which includes the
            # following alternatives: close our scoped groups and reopen them after the bar.
            specs = pending_flags[-1]
            out.append(")" * pending[-1] + "|" + "".join(f"(?{s}:" for s in specs))
            i += 1
            continue
        if c == ")":
            if len(pending) > 1:
                out.append(")" * pending.pop())
                pending_flags.pop()
            out.append(c)
            i += 1
            continue
        out.append(c)
        i += 1
    out.append(")" * pending[0])
    return "".join(out), groups


def _name_secret_group(pattern: str, group_starts: list[int], index: int) -> str:
    """Make capturing group number `index` (1-based) the named group ``secret``."""
    start = group_starts[index - 1]
    if pattern.startswith("(?P<", start):
        end = pattern.index(">", start)
        return pattern[:start] + "(?P<secret>" + pattern[end + 1 :]
    return pattern[:start] + "(?P<secret>" + pattern[start + 1 :]


def load_gitleaks_toml(path: Path) -> tuple[Rule, ...]:
    """Read the ``[[rules]]`` of a gitleaks configuration file as evidencepack rules.

    Used: ``id``, ``description``, ``regex``, ``keywords``, ``entropy`` (as `min_entropy`)
    and ``secretGroup`` (the group that becomes ``secret``; without it, a pattern's only
    capturing group, else the whole match, since gitleaks' "first non-empty group" cannot
    be named in Python). Ignored, because evidencepack has its own ways to express them: the
    global ``[allowlist]``, per-rule allowlists (``[[rules.allowlists]]``), ``[extend]``,
    ``path`` filters (the rule then runs on every file) and ``tags``.

    Keywords are taken as written: gitleaks only requires them to occur in the scanned text,
    so a keyword outside the match is possible in third-party rules. A rule without keywords
    gets the longest literal of at least 3 characters that every match contains; a rule
    with none is refused, since it could not be prefiltered and would run on every text.

    Raises InputError, naming the file and the rule, for an unreadable file, a rule without
    id or regex, a regex Python cannot compile, or a rule that cannot be prefiltered.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read gitleaks rules: {exc}") from exc
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise InputError(f"{path}: 'rules' must be an array of tables ([[rules]])")
    rules: list[Rule] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, dict):
            raise InputError(f"{path}: rule #{position} is not a table")
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            raise InputError(f"{path}: rule #{position} has no id")
        if rule_id in seen:
            raise InputError(f"{path}: rule {rule_id!r}: the id is used twice")
        seen.add(rule_id)
        rules.append(rule_from_table(raw, f"{path}: rule {rule_id!r}"))
    return tuple(rules)


def rule_from_table(raw: dict[str, Any], where: str) -> Rule:
    """One rule from a gitleaks ``[[rules]]`` table (or the same keys in the policy file).

    Raises InputError starting with `where` when the table cannot be used.
    """
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", rule_id):
        raise InputError(f"{where}: the id must be letters, digits, '.', '_' or '-'")
    regex = raw.get("regex")
    if not isinstance(regex, str) or not regex:
        raise InputError(f"{where}: has no regex (rules that only match file paths are not supported)")
    try:
        translated, group_starts = _translate_go_regex(regex)
        secret_group = raw.get("secretGroup", 0)
        if not isinstance(secret_group, int) or isinstance(secret_group, bool) or secret_group < 0:
            raise InputError(f"{where}: secretGroup must be a non-negative integer")
        if secret_group > len(group_starts):
            raise InputError(
                f"{where}: secretGroup {secret_group} but the regex has {len(group_starts)} groups"
            )
        if secret_group == 0 and len(group_starts) == 1:
            secret_group = 1
        if secret_group and "(?P<secret>" not in translated:
            translated = _name_secret_group(translated, group_starts, secret_group)
        pattern = re.compile(translated)
    except (_GoSyntaxError, re.error) as exc:
        raise InputError(
            f"{where}: regex cannot be used by Python's re module: {exc}",
            remediation="Rewrite the rule without RE2-only syntax (Unicode classes \\p{..}, (?U)).",
        ) from exc
    keywords = raw.get("keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise InputError(f"{where}: keywords must be a list of non-empty strings")
    if not keywords:
        literal = required_literal(pattern)
        if literal is None or len(literal) < 3:
            raise InputError(
                f"{where}: has no keywords and its regex has no literal of 3 or more characters that "
                "every match contains, so it cannot be prefiltered",
                remediation="Add keywords = [...] listing literals that every match contains.",
            )
        keywords = [literal]
    entropy = raw.get("entropy")
    if entropy is not None and (not isinstance(entropy, int | float) or isinstance(entropy, bool)):
        raise InputError(f"{where}: entropy must be a number")
    description = raw.get("description")
    lowered = tuple(dict.fromkeys(k.lower() for k in keywords))
    return Rule(
        id=rule_id,
        description=description if isinstance(description, str) and description
        else f"gitleaks rule {rule_id}",
        keywords=lowered,
        pattern=pattern,
        min_entropy=float(entropy) if entropy is not None else None,
        multiline=may_span_lines(pattern),
        keyword_in_match=any(k in run for run in required_literals(pattern) for k in lowered),
    )
