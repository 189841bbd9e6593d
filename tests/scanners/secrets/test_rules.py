"""The secret rules, each on a planted credential and on a near miss that must not match.

Every planted credential is generated here from a seeded random source (GitHub and npm
tokens with a correct CRC32, private keys by `cryptography` at test time); none is real,
and no vendor documentation example is used as a positive: those are decoys.
"""

from __future__ import annotations

import base64
import functools
import json
import random
import re
import string
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from evidencepack.errors import InputError
from evidencepack.model import Severity
from evidencepack.scanners.secrets.engine import SecretMatcher
from evidencepack.scanners.secrets.rules import (
    RULES,
    Rule,
    github_token_checksum_ok,
    load_gitleaks_toml,
    may_span_lines,
    required_literal,
    required_literals,
    shannon_entropy,
)

BY_ID = {rule.id: rule for rule in RULES}

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
LETTERS = string.ascii_letters
ALNUM = LETTERS + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE32 = UPPER + "234567"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l".upper()
BASE62 = DIGITS + UPPER + LOWER


def rnd(r: random.Random, alphabet: str, n: int) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def found(rule: Rule, text: str) -> list[str]:
    """The secrets `rule` reports in `text`, applying entropy and check as the engine does."""
    out = []
    for m in rule.pattern.finditer(text):
        secret = m.group("secret") if "secret" in rule.pattern.groupindex else m.group(0)
        if not secret:
            continue
        if rule.min_entropy is not None and shannon_entropy(secret) < rule.min_entropy:
            continue
        if rule.check is not None and not rule.check(secret):
            continue
        out.append(secret)
    return out


# --- generators ----------------------------------------------------------------------------


def crc_token(r: random.Random, prefix: str) -> str:
    """A GitHub/npm-format token: 30 random base62 characters and their base62 CRC32."""
    body = rnd(r, ALNUM, 30)
    value = zlib.crc32(body.encode())
    digits = ""
    while value:
        value, rest = divmod(value, 62)
        digits = BASE62[rest] + digits
    return prefix + body + digits.rjust(6, "0")


def broken_checksum(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def rand_bytes(r: random.Random, n: int) -> bytes:
    return bytes(r.randrange(256) for _ in range(n))


def rand_uuid(r: random.Random) -> str:
    return str(uuid.UUID(int=r.getrandbits(128), version=4))


def jwt(r: random.Random, header: dict[str, str]) -> str:
    payload = {"sub": rand_uuid(r), "iss": "https://auth.acme.dev", "iat": 1767225600}
    return ".".join([
        b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode()), b64url(rand_bytes(r, 32)),
    ])


def password(r: random.Random, n: int = 20) -> str:
    return rnd(r, ALNUM + "!*^%_-", n)


def pem(key: object, fmt: serialization.PrivateFormat,
        encryption: serialization.KeySerializationEncryption | None = None) -> str:
    assert hasattr(key, "private_bytes")
    data: bytes = key.private_bytes(serialization.Encoding.PEM, fmt,
                                    encryption or serialization.NoEncryption())
    return data.decode()


@functools.cache
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem() -> str:
    return rsa_key().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def pgp_block(r: random.Random, kind: str) -> str:
    """An armoured block of random bytes with a valid CRC-24 line; not a real key."""
    data = rand_bytes(r, 900)
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    body = b64(data)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    checksum = b64((crc & 0xFFFFFF).to_bytes(3, "big"))
    return (f"-----BEGIN PGP {kind} KEY BLOCK-----\n\n" + "\n".join(lines) + f"\n={checksum}\n"
            f"-----END PGP {kind} KEY BLOCK-----")


# --- the cases -----------------------------------------------------------------------------

Planted = tuple[str, str]
"""(text, secret): a realistic line or file holding the secret, and the secret itself."""


@dataclass(frozen=True)
class Case:
    positive: Callable[[random.Random], Planted]
    near_miss: Callable[[random.Random], str]


def line(template: str, secret: str) -> Planted:
    return template.format(secret), secret


def prefixed(template: str, prefix: str, alphabet: str, n: int) -> Case:
    """A prefixed token: positive with `n` characters, near miss with one too few."""
    return Case(
        lambda r: line(template, prefix + rnd(r, alphabet, n)),
        lambda r: template.format(prefix + rnd(r, alphabet, n - 1)),
    )


def crc_case(template: str, prefix: str) -> Case:
    return Case(
        lambda r: line(template, crc_token(r, prefix)),
        lambda r: template.format(broken_checksum(crc_token(r, prefix))),
    )


def url_case(template: str) -> Case:
    """A database/broker URL: a generated password; placeholders and defaults as near misses."""
    placeholders = ["${DB_PASSWORD}", "$DB_PASSWORD", "<password>", "***", "password", "changeme",
                    "{{ .Pw }}"]
    return Case(
        lambda r: line(template, password(r)),
        lambda r: "\n".join(template.format(p) for p in placeholders),
    )


def key_case(make: Callable[[], str], near: Callable[[], str] = public_pem,
             wrap: Callable[[str], str] = lambda k: f"cat > deploy_key <<'EOF'\n{k}EOF\n") -> Case:
    def positive(r: random.Random) -> Planted:
        key = make()
        return wrap(key), key.strip()

    return Case(positive, lambda r: wrap(near()) + wrap(
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----\n"))


def gcp_positive(r: random.Random) -> Planted:
    key = pem(rsa_key(), serialization.PrivateFormat.PKCS8)
    project = "acme-ci-" + rnd(r, DIGITS, 4)
    document = json.dumps({
        "type": "service_account", "project_id": project, "private_key_id": rnd(r, HEX, 40),
        "private_key": key, "client_email": f"deployer@{project}.iam.gserviceaccount.com",
        "client_id": rnd(r, DIGITS, 21), "token_uri": "https://oauth2.googleapis.com/token",
    }, indent=2)
    return document, json.dumps(key)[1:-1].removesuffix("\\n")


def gcp_near_miss(r: random.Random) -> str:
    key = pem(rsa_key(), serialization.PrivateFormat.PKCS8)
    return json.dumps({"type": "external_account", "private_key": key, "issuer": "https://idp.acme.dev"})


def sas_positive(r: random.Random) -> Planted:
    sig = quote(b64(rand_bytes(r, 32)), safe="")
    url = ("https://acmeartifacts.blob.core.windows.net/releases/app.tgz?sv=2022-11-02&ss=b&srt=o&sp=r"
           f"&se=2030-01-01T00%3A00%3A00Z&st=2025-01-01T00%3A00%3A00Z&spr=https&sig={sig}")
    return f'curl -fsSL "{url}" -o app.tgz', sig


def sas_near_miss(r: random.Random) -> str:
    sig = quote(b64(rand_bytes(r, 32)), safe="")
    return f"https://cdn.acme.dev/download/app.tgz?expires=1767225600&sig={sig}"


def discord_positive(r: random.Random) -> Planted:
    bot_id = str(r.randrange(10**17, 10**19)).encode()
    token = b64url(bot_id) + "." + rnd(r, B64URL, 6) + "." + rnd(r, B64URL, 38)
    return line('DISCORD_BOT_TOKEN = "{}"', token)


def discord_near_miss(r: random.Random) -> str:
    # Right shape, but the first part does not decode to a numeric bot id.
    first, second, third = rnd(r, LETTERS, 23), rnd(r, B64URL, 6), rnd(r, B64URL, 38)
    return f'DISCORD_BOT_TOKEN = "M{first}.{second}.{third}"'


def docker_auth(user_password: str) -> str:
    return json.dumps({"auths": {"ghcr.io": {"auth": b64(user_password.encode())}}})


def pem_in_env(r: random.Random) -> Planted:
    key = pem(ed25519.Ed25519PrivateKey.generate(), serialization.PrivateFormat.PKCS8).strip()
    escaped = key.replace("\n", "\\n")
    return f'SIGNING_KEY="{escaped}\\n"\n', escaped


CASES: dict[str, Case] = {
    "aws-access-key-id": Case(
        lambda r: line("aws_access_key_id = {}", "AKIA" + rnd(r, BASE32, 16)),
        lambda r: "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_access_key_id = AKIA" + rnd(r, DIGITS, 16),
    ),
    "aws-secret-access-key": Case(
        lambda r: line("[ci]\naws_secret_access_key = {}\n", rnd(r, B64, 40)),
        lambda r: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
                  f"aws_secret_access_key = {rnd(r, B64, 39)}\n",
    ),
    "aws-session-token": Case(
        lambda r: line("aws_session_token = {}", "AQoD" + rnd(r, B64, 352)),
        lambda r: "aws_session_token = ${AWS_SESSION_TOKEN}\naws_session_token = short0token1value",
    ),
    "aws-sts-token": Case(
        lambda r: line('export AWS_SESSION_TOKEN="{}"', "IQoJb3JpZ2luX2VjE" + rnd(r, B64, 400)),
        lambda r: 'export AWS_SESSION_TOKEN="IQoJb3JpZ2luX2VjE' + rnd(r, B64, 40) + '"',
    ),
    "gcp-service-account-key": Case(gcp_positive, gcp_near_miss),
    "gcp-api-key": prefixed('GOOGLE_MAPS_KEY: "{}"', "AIza", B64URL, 35),
    "gcp-oauth-client-secret": prefixed('"client_secret": "{}"', "GOCSPX-", B64URL, 28),
    "azure-storage-account-key": Case(
        lambda r: line("DefaultEndpointsProtocol=https;AccountName=acmeci;AccountKey={};"
                       "EndpointSuffix=core.windows.net", b64(rand_bytes(r, 64))),
        lambda r: "UseDevelopmentStorage=true;AccountName=devstoreaccount1;"
                  "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
                  "KBHBeksoGMGw==;",
    ),
    "azure-shared-access-key": Case(
        lambda r: line("Endpoint=sb://acme-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
                       "SharedAccessKey={}", b64(rand_bytes(r, 32))),
        lambda r: "Endpoint=sb://acme-bus.servicebus.windows.net/;SharedAccessKeyName=send;"
                  "SharedAccessKey=<your-shared-access-key>",
    ),
    "azure-sas-token": Case(sas_positive, sas_near_miss),
    "azure-ad-client-secret": Case(
        lambda r: line('AZURE_CLIENT_SECRET="{}"', rnd(r, ALNUM, 3) + "8Q~" + rnd(r, ALNUM + "_~.-", 34)),
        lambda r: 'AZURE_CLIENT_SECRET="abc8Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"\n'
                  f'AZURE_CLIENT_SECRET="{rnd(r, ALNUM, 3)}8Q~{rnd(r, ALNUM, 20)}"',
    ),
    "github-pat-classic": crc_case("GITHUB_TOKEN={}", "ghp_"),
    "github-token-unverified": Case(
        lambda r: line("GITHUB_TOKEN={}", broken_checksum(crc_token(r, "ghp_"))),
        lambda r: "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
                  "token: ghp_1234567890abcdefghijklmnopqrstuvwxyz\n"
                  f"GITHUB_TOKEN={crc_token(r, 'ghp_')}\n",
    ),
    "github-oauth-token": crc_case('{{"access_token": "{}", "token_type": "bearer"}}', "gho_"),
    "github-user-to-server-token": crc_case("Authorization: token {}", "ghu_"),
    "github-server-to-server-token": crc_case(
        "git clone https://x-access-token:{}@github.com/acme/shop.git", "ghs_"),
    "github-refresh-token": crc_case('refresh_token: "{}"', "ghr_"),
    "github-pat-fine-grained": Case(
        lambda r: line("gh auth login --with-token <<< {}",
                       "github_pat_" + rnd(r, ALNUM, 22) + "_" + rnd(r, ALNUM, 59)),
        lambda r: "gh auth login --with-token <<< github_pat_" + rnd(r, ALNUM, 22) + "_" + rnd(r, ALNUM, 58),
    ),
    "gitlab-pat": prefixed('PRIVATE-TOKEN: {}', "glpat-", B64URL, 20),
    "gitlab-deploy-token": prefixed("docker login -u deploy -p {} registry.gitlab.com", "gldt-", B64URL, 20),
    "gitlab-runner-token": prefixed('  token = "{}"', "glrt-", B64URL, 20),
    "gitlab-runner-registration-token": prefixed("--registration-token {}", "GR1348941", B64URL, 20),
    "gitlab-ci-job-token": Case(
        lambda r: line("CI_JOB_TOKEN={}", "glcbt-" + rnd(r, ALNUM, 2) + "_" + rnd(r, B64URL, 20)),
        lambda r: "CI_JOB_TOKEN=glcbt-" + rnd(r, ALNUM, 2) + "_" + rnd(r, B64URL, 19),
    ),
    "gitlab-pipeline-trigger-token": prefixed("curl -F token={} -F ref=main", "glptt-", HEX, 40),
    "gitlab-feed-token": prefixed("https://gitlab.acme.dev/acme.atom?feed_token={}", "glft-", B64URL, 20),
    "gitlab-oauth-app-secret": prefixed("GITLAB_OAUTH_SECRET={}", "gloas-", B64URL, 64),
    "gitlab-incoming-mail-token": prefixed("incoming+{}@gitlab.acme.dev", "glimt-", B64URL, 25),
    "gitlab-agent-token": prefixed("--set config.token={}", "glagent-", B64URL, 50),
    "gitlab-scim-token": prefixed("scim_token: {}", "glsoat-", B64URL, 20),
    "gitlab-feature-flag-client-token": prefixed("UNLEASH_INSTANCE_ID={}", "glffct-", B64URL, 20),
    "slack-bot-token": Case(
        lambda r: line("SLACK_BOT_TOKEN={}",
                       f"xoxb-{rnd(r, DIGITS, 11)}-{rnd(r, DIGITS, 13)}-{rnd(r, ALNUM, 24)}"),
        lambda r: "SLACK_BOT_TOKEN=xoxb-not-a-real-token-this-will-not-work",
    ),
    "slack-user-token": Case(
        lambda r: line("SLACK_USER_TOKEN={}", f"xoxp-{rnd(r, DIGITS, 11)}-{rnd(r, DIGITS, 12)}-"
                                             f"{rnd(r, DIGITS, 13)}-{rnd(r, HEX, 32)}"),
        lambda r: f"SLACK_USER_TOKEN=xoxp-{rnd(r, DIGITS, 11)}-{rnd(r, DIGITS, 12)}-{rnd(r, HEX, 32)}",
    ),
    "slack-app-token": Case(
        lambda r: line("SLACK_APP_TOKEN={}", f"xapp-1-A{rnd(r, UPPER + DIGITS, 10)}-{rnd(r, DIGITS, 13)}-"
                                            f"{rnd(r, HEX, 64)}"),
        lambda r: f"SLACK_APP_TOKEN=xapp-1-A{rnd(r, UPPER + DIGITS, 10)}-{rnd(r, HEX, 64)}",
    ),
    "slack-config-token": Case(
        lambda r: line("SLACK_CONFIG_TOKEN={}", "xoxe.xoxp-1-" + rnd(r, ALNUM, 160)),
        lambda r: "SLACK_CONFIG_TOKEN=xoxe.xoxp-1-" + rnd(r, ALNUM, 100),
    ),
    "slack-webhook-url": Case(
        lambda r: line("webhook_url: {}", f"https://hooks.slack.com/services/T{rnd(r, UPPER + DIGITS, 10)}/"
                                          f"B{rnd(r, UPPER + DIGITS, 10)}/{rnd(r, ALNUM, 24)}"),
        lambda r: "webhook_url: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    ),
    "stripe-secret-key": Case(
        lambda r: line("STRIPE_SECRET_KEY={}", "sk_live_" + rnd(r, ALNUM, 99)),
        lambda r: "STRIPE_SECRET_KEY=sk_live_" + rnd(r, ALNUM, 20),
    ),
    "stripe-restricted-key": Case(
        lambda r: line("stripe.api_key = '{}'", "rk_live_" + rnd(r, ALNUM, 99)),
        lambda r: "stripe.api_key = 'rk_live_" + rnd(r, ALNUM, 20) + "'",
    ),
    "stripe-test-key": Case(
        lambda r: line("STRIPE_SECRET_KEY={}", "sk_test_" + rnd(r, ALNUM, 99)),
        lambda r: "STRIPE_SECRET_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    ),
    "webhook-signing-secret": prefixed("STRIPE_WEBHOOK_SECRET={}", "whsec_", ALNUM, 32),
    "square-access-token": prefixed("SQUARE_APP_SECRET={}", "sq0csp-", B64URL, 43),
    "twilio-api-key-sid": Case(
        lambda r: line("TWILIO_API_KEY={}", "SK" + rnd(r, HEX, 32)),
        lambda r: f"TWILIO_API_KEY=SK{rnd(r, HEX, 31)}\nTWILIO_API_KEY=SK{rnd(r, HEX, 32).upper()}",
    ),
    "twilio-account-sid-and-auth-token": Case(
        lambda r: line(f"client = Client('AC{rnd(r, HEX, 32)}',\n                '{{}}')", rnd(r, HEX, 32)),
        lambda r: f"TWILIO_ACCOUNT_SID=AC{rnd(r, HEX, 32)}\nTWILIO_REGION=ie1\n",
    ),
    "twilio-auth-token": Case(
        lambda r: line('twilio_auth_token: "{}"', rnd(r, HEX, 32)),
        lambda r: 'twilio_auth_token: "${TWILIO_AUTH_TOKEN}"',
    ),
    "sendgrid-api-key": Case(
        lambda r: line("SENDGRID_API_KEY={}", f"SG.{rnd(r, B64URL, 22)}.{rnd(r, B64URL, 43)}"),
        lambda r: f"SENDGRID_API_KEY=SG.{rnd(r, B64URL, 22)}.{rnd(r, B64URL, 42)}",
    ),
    "mailgun-api-key": prefixed('auth=("api", "{}")', "key-", HEX, 32),
    "mailgun-signing-key": Case(
        lambda r: line("MAILGUN_API_KEY={}", f"{rnd(r, HEX, 32)}-{rnd(r, HEX, 8)}-{rnd(r, HEX, 8)}"),
        lambda r: f"MAILGUN_API_KEY={rnd(r, HEX, 32)}",
    ),
    "brevo-api-key": Case(
        lambda r: line("BREVO_API_KEY={}", f"xkeysib-{rnd(r, HEX, 64)}-{rnd(r, ALNUM, 16)}"),
        lambda r: f"BREVO_API_KEY=xkeysib-{rnd(r, HEX, 64)}",
    ),
    "discord-bot-token": Case(discord_positive, discord_near_miss),
    "discord-webhook-url": Case(
        lambda r: line("DISCORD_WEBHOOK={}", f"https://discord.com/api/webhooks/{rnd(r, DIGITS, 19)}/"
                                             f"{rnd(r, B64URL, 68)}"),
        lambda r: f"DISCORD_WEBHOOK=https://discord.com/api/webhooks/{rnd(r, DIGITS, 19)}/"
                  f"{rnd(r, B64URL, 40)}",
    ),
    "telegram-bot-token": Case(
        lambda r: line("TELEGRAM_BOT_TOKEN={}", f"{rnd(r, DIGITS, 10)}:AA{rnd(r, B64URL, 33)}"),
        lambda r: "TELEGRAM_BOT_TOKEN=123456789:your-token-here",
    ),
    "datadog-api-key": Case(
        lambda r: line("DD_API_KEY={}", rnd(r, HEX, 32)),
        lambda r: "DD_SITE=datadoghq.eu\nDD_API_KEY=${DATADOG_API_KEY}",
    ),
    "datadog-app-key": Case(
        lambda r: line('datadog_app_key: "{}"', rnd(r, HEX, 40)),
        lambda r: f'datadog_app_key: "{rnd(r, HEX, 32)}"',
    ),
    "heroku-api-key": Case(
        lambda r: line("HEROKU_API_KEY={}", rand_uuid(r)),
        lambda r: f"HEROKU_APP_ID={rand_uuid(r)}",
    ),
    "heroku-api-key-v2": prefixed("HEROKU_API_KEY={}", "HRKU-AA", B64URL, 58),
    "new-relic-user-api-key": prefixed("NEW_RELIC_API_KEY={}", "NRAK-", UPPER + DIGITS, 27),
    "grafana-service-account-token": Case(
        lambda r: line("GRAFANA_TOKEN={}", f"glsa_{rnd(r, ALNUM, 32)}_{rnd(r, HEX, 8)}"),
        lambda r: f"GRAFANA_TOKEN=glsa_{rnd(r, ALNUM, 32)}",
    ),
    "grafana-cloud-token": Case(
        lambda r: line("GRAFANA_CLOUD_TOKEN={}", "glc_" + rnd(r, ALNUM, 120)),
        lambda r: "GRAFANA_CLOUD_TOKEN=glc_" + rnd(r, ALNUM, 20),
    ),
    "sentry-auth-token": prefixed("SENTRY_AUTH_TOKEN={}", "sntryu_", HEX, 64),
    "digitalocean-token": prefixed("DIGITALOCEAN_ACCESS_TOKEN={}", "dop_v1_", HEX, 64),
    "databricks-token": prefixed("DATABRICKS_TOKEN={}", "dapi", HEX, 32),
    "pulumi-access-token": prefixed("PULUMI_ACCESS_TOKEN={}", "pul-", HEX, 40),
    "hashicorp-vault-token": Case(
        lambda r: line("VAULT_TOKEN={}", "hvs." + rnd(r, B64URL, 90)),
        lambda r: "VAULT_TOKEN=hvs." + rnd(r, B64URL, 10),
    ),
    "terraform-cloud-token": Case(
        lambda r: line('credentials "app.terraform.io" {{ token = "{}" }}',
                       rnd(r, ALNUM, 14) + ".atlasv1." + rnd(r, B64URL, 67)),
        lambda r: 'token = "' + rnd(r, ALNUM, 14) + ".atlasv1." + rnd(r, B64URL, 30) + '"',
    ),
    "doppler-token": Case(
        lambda r: line("DOPPLER_TOKEN={}", "dp.st." + rnd(r, ALNUM, 44)),
        lambda r: "DOPPLER_TOKEN=dp.st." + rnd(r, ALNUM, 30),
    ),
    "linear-api-key": prefixed("LINEAR_API_KEY={}", "lin_api_", ALNUM, 40),
    "postman-api-key": Case(
        lambda r: line("POSTMAN_API_KEY={}", f"PMAK-{rnd(r, HEX, 24)}-{rnd(r, HEX, 34)}"),
        lambda r: f"POSTMAN_API_KEY=PMAK-{rnd(r, HEX, 24)}-{rnd(r, HEX, 33)}",
    ),
    "planetscale-token": Case(
        lambda r: line("PLANETSCALE_SERVICE_TOKEN={}", "pscale_tkn_" + rnd(r, B64URL, 43)),
        lambda r: "PLANETSCALE_SERVICE_TOKEN=pscale_tkn_" + rnd(r, B64URL, 20),
    ),
    "supabase-access-token": prefixed("SUPABASE_ACCESS_TOKEN={}", "sbp_", HEX, 40),
    "flyio-token": prefixed("FLY_API_TOKEN={}", "fo1_", B64URL, 43),
    "atlassian-api-token": Case(
        lambda r: line("JIRA_API_TOKEN={}", "ATATT3" + rnd(r, B64URL, 177) + "=" + rnd(r, HEX, 8).upper()),
        lambda r: "JIRA_API_TOKEN=ATATT3" + rnd(r, B64URL, 176) + "=" + rnd(r, HEX, 8).upper(),
    ),
    "alibaba-access-key-id": prefixed("ALIBABA_CLOUD_ACCESS_KEY_ID={}", "LTAI", ALNUM, 20),
    "firebase-cloud-messaging-key": Case(
        lambda r: line("FCM_SERVER_KEY={}", f"AAAA{rnd(r, B64URL, 7)}:APA91b{rnd(r, B64URL, 134)}"),
        lambda r: f"FCM_SERVER_KEY=AAAA{rnd(r, B64URL, 7)}:APA91b{rnd(r, B64URL, 100)}",
    ),
    "shopify-access-token": prefixed("SHOPIFY_ACCESS_TOKEN={}", "shpat_", HEX, 32),
    "shopify-shared-secret": prefixed("SHOPIFY_API_SECRET={}", "shpss_", HEX, 32),
    "shopify-custom-app-token": prefixed("SHOPIFY_TOKEN={}", "shpca_", HEX, 32),
    "shopify-private-app-token": prefixed("SHOPIFY_TOKEN={}", "shppa_", HEX, 32),
    "npm-access-token": crc_case("//registry.npmjs.org/:_authToken={}", "npm_"),
    "npmrc-auth": Case(
        lambda r: line("//registry.npmjs.org/:_authToken={}", rand_uuid(r)),
        lambda r: "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n//npm.pkg.github.com/:_authToken=changeme",
    ),
    "pypi-token": Case(
        lambda r: line("TWINE_PASSWORD={}", "pypi-AgEIcHlwaS5vcmc" + rnd(r, B64URL, 160)),
        lambda r: "TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmc" + rnd(r, B64URL, 30),
    ),
    "pypi-test-token": Case(
        lambda r: line("password = {}", "pypi-AgENdGVzdC5weXBpLm9yZw" + rnd(r, B64URL, 160)),
        lambda r: "password = pypi-AgENdGVzdC5weXBpLm9yZw" + rnd(r, B64URL, 20),
    ),
    "rubygems-api-key": prefixed("GEM_HOST_API_KEY={}", "rubygems_", HEX, 48),
    "nuget-api-key": prefixed("dotnet nuget push app.nupkg --api-key {} --source nuget.org", "oy2",
                              DIGITS + LOWER, 43),
    "docker-hub-pat": prefixed("echo {} | docker login -u acmeci --password-stdin", "dckr_pat_", B64URL, 27),
    "docker-hub-oat": Case(
        lambda r: line("DOCKERHUB_TOKEN={}", "dckr_oat_" + rnd(r, B64URL, 32)),
        lambda r: "DOCKERHUB_TOKEN=dckr_oat_" + rnd(r, B64URL, 20),
    ),
    "docker-config-auth": Case(
        lambda r: (lambda creds: (docker_auth(creds), b64(creds.encode())))("acme-ci:" + password(r, 24)),
        lambda r: docker_auth("acme-ci:password") + "\n" + docker_auth("no-colon-here"),
    ),
    "openai-api-key": Case(
        lambda r: line("OPENAI_API_KEY={}", f"sk-proj-{rnd(r, B64URL, 74)}T3BlbkFJ{rnd(r, B64URL, 74)}"),
        lambda r: f"OPENAI_API_KEY=sk-proj-{rnd(r, B64URL, 156)}",
    ),
    "anthropic-api-key": Case(
        lambda r: line("ANTHROPIC_API_KEY={}", f"sk-ant-api03-{rnd(r, B64URL, 93)}AA"),
        lambda r: f"ANTHROPIC_API_KEY=sk-ant-api03-{rnd(r, B64URL, 92)}AA",
    ),
    "anthropic-admin-key": Case(
        lambda r: line("ANTHROPIC_ADMIN_KEY={}", f"sk-ant-admin01-{rnd(r, B64URL, 93)}AA"),
        lambda r: f"ANTHROPIC_ADMIN_KEY=sk-ant-admin01-{rnd(r, B64URL, 93)}AB",
    ),
    "huggingface-token": prefixed("HF_TOKEN={}", "hf_", LETTERS, 34),
    "huggingface-org-token": Case(
        lambda r: line("HF_ORG_TOKEN={}", "api_org_" + rnd(r, LETTERS, 34)),
        lambda r: "HF_ORG_TOKEN=api_org_" + rnd(r, ALNUM, 30) + "1234",
    ),
    "private-key-rsa": key_case(
        lambda: pem(rsa_key(), serialization.PrivateFormat.TraditionalOpenSSL),
        near=lambda: pem(rsa_key(), serialization.PrivateFormat.TraditionalOpenSSL,
                         serialization.BestAvailableEncryption(b"correct horse")),
    ),
    "private-key-ec": key_case(lambda: pem(ec_key(), serialization.PrivateFormat.TraditionalOpenSSL)),
    "private-key-dsa": key_case(
        lambda: pem(dsa.generate_private_key(key_size=1024), serialization.PrivateFormat.TraditionalOpenSSL)),
    "private-key-openssh": key_case(
        lambda: pem(ed25519.Ed25519PrivateKey.generate(), serialization.PrivateFormat.OpenSSH),
        near=lambda: ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " ci@acme\n",
    ),
    "private-key-pkcs8": Case(
        # In a YAML block scalar: the finding spans the indented lines as they are in the file.
        lambda r: (lambda lines: ("tls:\n  key: |\n" + "".join(f"    {ln}\n" for ln in lines),
                                  "\n    ".join(lines)))(
            pem(ec_key(), serialization.PrivateFormat.PKCS8).splitlines()),
        lambda r: "tls:\n  cert: |\n" + "".join(f"    {ln}\n" for ln in public_pem().splitlines()),
    ),
    "private-key-pkcs8-encrypted": key_case(
        lambda: pem(ec_key(), serialization.PrivateFormat.PKCS8,
                    serialization.BestAvailableEncryption(b"s3cr3t!")),
        near=lambda: pem(ec_key(), serialization.PrivateFormat.PKCS8),
    ),
    "private-key-legacy-encrypted": key_case(
        lambda: pem(ec_key(), serialization.PrivateFormat.TraditionalOpenSSL,
                    serialization.BestAvailableEncryption(b"correct horse")),
        near=lambda: pem(ec_key(), serialization.PrivateFormat.TraditionalOpenSSL),
    ),
    "private-key-pgp": Case(
        lambda r: (lambda block: (f"gpg --import <<'EOF'\n{block}\nEOF\n", block))(pgp_block(r, "PRIVATE")),
        lambda r: f"gpg --import <<'EOF'\n{pgp_block(r, 'PUBLIC')}\nEOF\n",
    ),
    "age-secret-key": prefixed("# created: 2026-01-01\n{}\n", "AGE-SECRET-KEY-1", BECH32, 58),
    "jwt": Case(
        lambda r: line("const session = '{}';", jwt(r, {"alg": "HS256", "typ": "JWT"})),
        lambda r: f"const session = '{jwt(r, {'typ': 'JWT'})}';\n"
                  f"const unsigned = '{jwt(r, {'alg': 'none'})}';",
    ),
    "http-basic-auth": Case(
        lambda r: line('curl -H "Authorization: Basic {}" https://api.acme.dev',
                       b64(f"deploy:{password(r)}".encode())),
        lambda r: 'curl -H "Authorization: Basic {}" https://api.acme.dev\n'.format(b64(b"user:password"))
                  + 'curl -H "Authorization: Basic ${BASIC_AUTH}" https://api.acme.dev',
    ),
    "http-bearer-token": Case(
        lambda r: line('curl -H "Authorization: Bearer {}" https://api.acme.dev', rnd(r, B64URL, 40)),
        lambda r: 'curl -H "Authorization: Bearer ${{ secrets.API_TOKEN }}" https://api.acme.dev',
    ),
    "postgres-url-password": url_case("DATABASE_URL=postgresql://app_user:{}@db.internal:5432/app"),
    "mysql-url-password": url_case("SQLALCHEMY_DATABASE_URI=mysql+pymysql://shop:{}@mysql.internal/shop"),
    "mongodb-url-password": url_case("MONGO_URL=mongodb+srv://svc-api:{}@cluster0.ab1cd.mongodb.net/app"),
    "redis-url-password": url_case("REDIS_URL=rediss://:{}@cache.internal:6380/0"),
    "amqp-url-password": url_case("BROKER_URL=amqps://worker:{}@mq.internal:5671/jobs"),
    "mssql-url-password": url_case("DB=sqlserver://svc_report:{}@sql.internal:1433?database=reports"),
    "connection-string-password": Case(
        lambda r: line("Server=tcp:acme.database.windows.net,1433;Initial Catalog=app;User ID=svc;"
                       "Password={};Encrypt=True;", password(r)),
        lambda r: "Server=tcp:acme.database.windows.net,1433;User ID=svc;Password=<password>;Encrypt=True;",
    ),
    "generic-password": Case(
        lambda r: line('DB_PASSWORD="{}"', password(r, 16)),
        lambda r: "password: ${DB_PASSWORD}\npassword = \"changeme\"\n"
                  f'password = "{rnd(r, HEX, 64)}"\npassword = os.environ["DB_PASSWORD"]\n'
                  "password_file: /run/secrets/db_password\n",
    ),
    "generic-secret": Case(
        lambda r: line('  client_secret: "{}"', rnd(r, ALNUM + "-_", 32)),
        lambda r: "secret: ${{ secrets.DEPLOY_KEY }}\nsecretName: app-credentials\n"
                  'secret = os.environ["APP_SECRET"]\nclient_secret: my-client-secret-name\n',
    ),
    "generic-token": Case(
        lambda r: line("export API_TOKEN='{}'", rnd(r, ALNUM, 36)),
        lambda r: "token: ${{ secrets.GITHUB_TOKEN }}\ntoken = process.env.API_TOKEN\n"
                  'token_url = "https://auth.acme.dev/token"\n',
    ),
    "generic-api-key": Case(
        lambda r: line('  apiKey: "{}",', rnd(r, ALNUM + "-_", 40)),
        lambda r: f'api_key = "{rand_uuid(r)}"\nAPI_KEY_FILE=/run/secrets/api_key\n'
                  'api_key: "<your-api-key>"\n',
    ),
}


def seeded(rule_id: str) -> random.Random:
    return random.Random(zlib.crc32(rule_id.encode()))


# --- the rule set as a whole ---------------------------------------------------------------


def test_rule_set_is_large_and_ids_are_unique_and_stable() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", rule_id) for rule_id in ids)


def test_every_rule_has_a_planted_case_and_a_near_miss() -> None:
    assert set(CASES) == set(BY_ID)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_metadata(rule: Rule) -> None:
    assert rule.keywords and all(k == k.lower() and len(k) >= 2 for k in rule.keywords)
    assert rule.description and "\n" not in rule.description
    assert rule.docs == "" or rule.docs.startswith("https://")
    assert isinstance(rule.severity, Severity)
    # A pattern that can match a line break must be declared multi-line, or the engine would
    # only look at the keyword's line and miss it.
    if may_span_lines(rule.pattern):
        assert rule.multiline


# --- each rule on its planted secret and its near miss -------------------------------------


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_planted_secret_is_found_exactly(rule_id: str) -> None:
    rule = BY_ID[rule_id]
    text, secret = CASES[rule_id].positive(seeded(rule_id))
    assert found(rule, text) == [secret]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_every_match_of_a_planted_secret_holds_a_keyword(rule_id: str) -> None:
    rule = BY_ID[rule_id]
    text, _secret = CASES[rule_id].positive(seeded(rule_id))
    matches = list(rule.pattern.finditer(text))
    assert matches
    for m in matches:
        assert any(k in m.group(0).lower() for k in rule.keywords), m.group(0)[:80]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_near_miss_is_not_found(rule_id: str) -> None:
    rule = BY_ID[rule_id]
    assert found(rule, CASES[rule_id].near_miss(seeded(rule_id))) == []


def keyword_is_required(rule: Rule) -> bool:
    """Static proof: a literal that every match contains (per the regex parse tree) holds a keyword."""
    return any(k in run for run in required_literals(rule.pattern) for k in rule.keywords)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_keyword_property_on_every_match(rule: Rule) -> None:
    """Whatever the pattern matches holds a keyword: proven from the parse tree where a keyword
    is a mandatory literal, else checked on strings generated from the pattern itself."""
    if keyword_is_required(rule):
        return

    @settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(rule.pattern))
    def check(text: str) -> None:
        m = rule.pattern.search(text)
        assume(m is not None)
        assert m is not None
        assert any(k in m.group(0).lower() for k in rule.keywords), m.group(0)[:80]

    check()


ANCHORED = [rule for rule in RULES if rule.anchor is not None]


def test_weak_keywords_are_replaced_by_anchors() -> None:
    """Two-letter prefixes and bare names like `token` would send most lines to the regexes."""
    assert {"twilio-api-key-sid", "twilio-account-sid-and-auth-token", "generic-token",
            "generic-secret", "generic-password", "generic-api-key"} <= {r.id for r in ANCHORED}


@pytest.mark.parametrize("rule", ANCHORED, ids=lambda rule: rule.id)
def test_anchor_is_in_every_match(rule: Rule) -> None:
    """The prefilter looks for the anchor, so every match must contain one: checked on the
    planted secret and on strings generated from the pattern."""
    assert rule.anchor is not None
    anchor = re.compile(rule.anchor)
    text, _secret = CASES[rule.id].positive(seeded(rule.id))
    planted = list(rule.pattern.finditer(text))
    assert planted
    for m in planted:
        assert anchor.search(m.group(0)), m.group(0)[:80]

    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(rule.pattern))
    def check(text: str) -> None:
        m = rule.pattern.search(text)
        assume(m is not None)
        assert m is not None
        assert anchor.search(m.group(0)), m.group(0)[:80]

    check()


def noisy(rule_id: str, text: str) -> str:
    """`text` among lines that hold every keyword but no secret, some of them not ASCII."""
    noise = [
        "token_count = len(tokens)  # token, session token, secret, password, api key",
        "# Überprüfung der Schlüssel — ✓ 鍵 ключ: AC, SK, ghp, xoxb, AKIA, begin private key",
        "accounts = cache.get('account')",
    ]
    r = seeded(rule_id)
    before = [r.choice(noise) for _ in range(40)]
    after = [r.choice(noise) for _ in range(40)]
    return "\n".join([*before, text.rstrip("\n"), *after]) + "\n"


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_engine_finds_what_the_whole_text_regex_finds(rule_id: str) -> None:
    """The engine runs each rule only near its keywords or anchor; on the planted secret,
    among noise and after multi-byte characters, it must report exactly what the rule's
    regex finds over the whole text, at the same offsets."""
    rule = BY_ID[rule_id]
    text, secret = CASES[rule_id].positive(seeded(rule_id))
    text = noisy(rule_id, text)
    matches = SecretMatcher([rule]).scan(text)
    assert [m.secret for m in matches] == found(rule, text) == [secret]
    assert all(text[m.start:m.end] == m.secret for m in matches)


# --- specific behaviours -------------------------------------------------------------------


def test_github_checksum_on_generated_tokens() -> None:
    r = random.Random(7)
    for prefix in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"):
        for _ in range(50):
            token = crc_token(r, prefix)
            assert github_token_checksum_ok(token)
            assert not github_token_checksum_ok(broken_checksum(token))
            assert not github_token_checksum_ok(token[:-1])
    # Documentation examples have the right shape but no valid checksum.
    assert not github_token_checksum_ok("gho_16C7e42F292c6912E7710c838347Ae178B4a")
    assert not github_token_checksum_ok("npm_" + crc_token(r, "")[0:36])  # not a GitHub prefix


def test_github_formats_without_a_published_checksum_are_checked_for_structure() -> None:
    r = random.Random(8)
    assert github_token_checksum_ok("github_pat_" + rnd(r, ALNUM, 22) + "_" + rnd(r, ALNUM, 59))
    assert not github_token_checksum_ok("github_pat_" + rnd(r, ALNUM, 21) + "_" + rnd(r, ALNUM, 59))
    assert github_token_checksum_ok("ghr_" + rnd(r, ALNUM, 76))
    stateless = "ghs_" + rnd(r, DIGITS, 7) + "_" + jwt(r, {"alg": "RS256", "typ": "JWT"})
    assert github_token_checksum_ok(stateless)
    rule = BY_ID["github-server-to-server-token"]
    assert found(rule, f"GITHUB_TOKEN={stateless}\n") == [stateless]


def test_gitlab_routable_token_is_found_whole() -> None:
    r = random.Random(9)
    token = f"glpat-{rnd(r, B64URL, 38)}.01.0{rnd(r, LOWER + DIGITS, 8)}"
    assert found(BY_ID["gitlab-pat"], f"PRIVATE-TOKEN: {token}\n") == [token]
    legacy_placeholder = "glpat-XXXXXXXXXXXXXXXXXXXX"
    assert found(BY_ID["gitlab-pat"], legacy_placeholder) == []


def test_private_key_with_escaped_newlines_is_found() -> None:
    text, secret = pem_in_env(random.Random(10))
    assert found(BY_ID["private-key-pkcs8"], text) == [secret]


def test_gcp_key_file_with_sorted_keys_is_found() -> None:
    r = random.Random(11)
    document, secret = gcp_positive(r)
    resorted = json.dumps(json.loads(document), indent=2, sort_keys=True)
    assert found(BY_ID["gcp-service-account-key"], resorted) == [secret]


def test_sas_signature_before_the_other_parameters_is_found() -> None:
    sig = quote(b64(rand_bytes(random.Random(12), 32)), safe="")
    url = f"https://acme.blob.core.windows.net/c/b?sig={sig}&se=2030-01-01T00%3A00%3A00Z&sp=r&sv=2022-11-02"
    assert found(BY_ID["azure-sas-token"], url) == [sig]


def test_url_password_equal_to_the_user_is_a_local_default() -> None:
    assert found(BY_ID["postgres-url-password"], "postgres://postgres:postgres@localhost:5432/test") == []


def test_hex_values_are_keys_for_key_names_but_hashes_for_passwords() -> None:
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    assert found(BY_ID["generic-api-key"], f'api_key = "{digest}"') == [digest]
    assert found(BY_ID["generic-password"], f'password = "{digest}"') == []


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("ab") == pytest.approx(1.0)
    assert shannon_entropy("0123456789abcdef") == pytest.approx(4.0)


# --- decoys --------------------------------------------------------------------------------


def decoy_text() -> str:
    r = random.Random(13)
    png = b64(b"\x89PNG\r\n\x1a\n" + rand_bytes(r, 3000))
    integrity = b64(rand_bytes(r, 64))
    return "\n".join([
        '    "node_modules/left-pad": {',
        '      "version": "1.3.0",',
        '      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",',
        f'      "integrity": "sha512-{integrity}",',
        '      "license": "WTFPL"',
        "    },",
        f'  integrity sha1-{b64(rand_bytes(r, 20))}',
        f"golang.org/x/crypto v0.31.0 h1:{b64(rand_bytes(r, 32))}",
        f"commit {rnd(r, HEX, 40)}",
        f"Merge: {rnd(r, HEX, 7)} {rnd(r, HEX, 7)}",
        f"      - uses: actions/checkout@{rnd(r, HEX, 40)}  # v4.2.2",
        f"image: ghcr.io/acme/shop@sha256:{rnd(r, HEX, 64)}",
        f"checksum: {rnd(r, HEX, 64)}",
        f'md5 = "{rnd(r, HEX, 32)}"',
        f'"id": "{rand_uuid(r)}",',
        f"request_id={rand_uuid(r)} trace_id={rnd(r, HEX, 32)}",
        f'<img src="data:image/png;base64,{png}" alt="logo">',
        "# From the AWS documentation:",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'",
        '  "access_token": "ghu_16C7e42F292c6912E7710c838347Ae178B4a",',
        '  "refresh_token":'
        ' "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498",',
        "SLACK_BOT_TOKEN=xoxb-not-a-real-token-this-will-not-work",
        "webhook: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "jobs:",
        "  build:",
        "    steps:",
        "      - run: ./release.sh",
        "        env:",
        "          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
        "          token: ${{ secrets.GITHUB_TOKEN }}",
        "          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}",
        "services:",
        "  db:",
        "    environment:",
        "      password: ${DB_PASSWORD}",
        "      POSTGRES_PASSWORD: postgres",
        "DATABASE_URL=postgres://user:password@localhost:5432/app",
        "REDIS_URL=redis://:${REDIS_PASSWORD}@redis:6379/0",
        "password = os.environ['DB_PASSWORD']",
        "api_key = settings.API_KEY",
        "secret_key_file = /etc/acme/secret.key",
        "-----BEGIN CERTIFICATE-----",
        b64(rand_bytes(r, 48)),
        "-----END CERTIFICATE-----",
        "version: 3.12.1-rc.2+build.4711",
    ])


def test_no_rule_matches_the_decoys() -> None:
    text = decoy_text()
    hits = {rule.id: found(rule, text) for rule in RULES}
    assert {rule_id: secrets for rule_id, secrets in hits.items() if secrets} == {}


# --- gitleaks configuration files ----------------------------------------------------------

GITLEAKS_TOML = """\
title = "acme extra rules"

[extend]
useDefault = true

[allowlist]
paths = ['''vendor/''']

[[rules]]
id = "acme-deploy-token"
description = "ACME deploy token"
regex = '''\\b(acmedt_(?i)[a-z0-9]{32})\\b'''
keywords = ["ACMEDT_"]
entropy = 3.0
secretGroup = 1

[[rules.allowlists]]
regexes = ['''acmedt_0{32}''']

[[rules]]
id = "acme-legacy-key"
regex = '''(?:corp-key)-[A-F0-9]{24}\\z'''

[[rules]]
id = "acme-flag-scope"
regex = '''ab(?i)cd|ef'''
keywords = ["ab", "ef"]
"""


def test_gitleaks_rules_load_and_match(tmp_path: Path) -> None:
    path = tmp_path / ".gitleaks.toml"
    path.write_text(GITLEAKS_TOML)
    rules = {rule.id: rule for rule in load_gitleaks_toml(path)}
    assert set(rules) == {"acme-deploy-token", "acme-legacy-key", "acme-flag-scope"}

    deploy = rules["acme-deploy-token"]
    assert deploy.keywords == ("acmedt_",)
    assert deploy.min_entropy == 3.0
    assert not deploy.multiline
    token = "acmedt_" + rnd(random.Random(14), ALNUM, 32)  # (?i) mid-pattern: upper case allowed
    assert found(deploy, f"ACME_TOKEN={token}\n") == [token]

    legacy = rules["acme-legacy-key"]
    assert legacy.keywords == ("corp-key-",)  # derived from the longest required literal
    assert legacy.description == "gitleaks rule acme-legacy-key"
    key = "corp-key-" + rnd(random.Random(15), "0123456789ABCDEF", 24)
    assert found(legacy, f"value: {key}") == [key]  # \z translated to \Z

    # Go's flag scope runs to the end of the enclosing group, across the following
    # alternatives but not back before the flag.
    scope = rules["acme-flag-scope"].pattern
    assert scope.fullmatch("abCD") and scope.fullmatch("EF") and not scope.fullmatch("ABcd")


def test_gitleaks_rule_python_cannot_compile_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[[rules]]\nid = \"greek-token\"\n"
                    "regex = '''\\p{Greek}+token'''\nkeywords = [\"token\"]\n")
    with pytest.raises(InputError) as error:
        load_gitleaks_toml(path)
    assert str(path) in error.value.message
    assert "greek-token" in error.value.message


def test_gitleaks_rule_that_cannot_be_prefiltered_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[[rules]]\nid = \"bare-hex\"\nregex = '''\\b[a-f0-9]{40}\\b'''\n")
    with pytest.raises(InputError, match=r"bare-hex.*cannot be prefiltered"):
        load_gitleaks_toml(path)


def test_required_literal_ignores_optional_and_alternative_parts() -> None:
    assert required_literal(re.compile(r"(?:foo|bar)-token-[0-9]+")) == "-token-"
    assert required_literal(re.compile(r"x(?:abcdef)?y")) in {"x", "y"}
    assert required_literal(re.compile(r"[a-z]+")) is None


# --- nothing found is ever written out ------------------------------------------------------


def _forms(secret: str) -> set[bytes]:
    """The ways a secret could appear in output: as is, JSON-escaped, and each long line of it."""
    forms = {secret, json.dumps(secret)[1:-1]}
    forms.update(part for part in re.split(r"\\n|\n", secret)
                 if len(part) >= 16 and not part.startswith("-----"))  # not the PEM armour
    return {f.encode() for f in forms if len(f) >= 8}


def _everything_written(root: Path) -> bytes:
    """Every byte under `root`, with the members of each .tar.gz archive unpacked."""
    import tarfile

    chunks = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        chunks.append(path.read_bytes())
        if path.name.endswith(".tar.gz"):
            with tarfile.open(path) as archive:
                for member in archive.getmembers():
                    extracted = archive.extractfile(member) if member.isfile() else None
                    if extracted is not None:
                        chunks.append(extracted.read())
    return b"\n".join(chunks)


def test_no_planted_secret_reaches_a_pack_sarif_or_log(
        make_repo: Callable[..., Path], tmp_path: Path, ci_free_env: None) -> None:
    """A secret of every rule planted in the change (and some in the pipeline configuration,
    which the pack copies): every byte the run and the scans write is searched for each."""
    import subprocess

    from click.testing import CliRunner

    from evidencepack.cli import main

    def git(repo: Path, *args: str) -> str:
        env = {"GIT_AUTHOR_NAME": "Mallory", "GIT_AUTHOR_EMAIL": "mallory@example.com",
               "GIT_COMMITTER_NAME": "Mallory", "GIT_COMMITTER_EMAIL": "mallory@example.com",
               "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}
        return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True,
                              check=True).stdout

    secrets: dict[str, str] = {}
    files: dict[str, str] = {}
    for rule_id in sorted(CASES):
        text, secret = CASES[rule_id].positive(seeded(rule_id))
        files[f"planted/{rule_id}.txt"] = text
        secrets[rule_id] = secret
    r = seeded("workflow")
    workflow_token = crc_token(r, "ghp_")
    workflow_aws = "AKIA" + rnd(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    secrets["workflow-github"], secrets["workflow-aws"] = workflow_token, workflow_aws
    # The pack copies pipeline configuration: a secret of every rule goes into it as well.
    r2 = seeded("workflow-script")
    script = ""
    for rule_id in sorted(CASES):
        text, secret = CASES[rule_id].positive(r2)
        script += "".join("          " + line + "\n" for line in text.splitlines())
        secrets[f"workflow-{rule_id}"] = secret
    files[".github/workflows/ci.yml"] = (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    env:\n"
        f"      GITHUB_TOKEN: {workflow_token}\n      AWS_ACCESS_KEY_ID: {workflow_aws}\n"
        "    steps:\n      - run: make test\n      - run: |\n" + script
    )
    repo = make_repo({"README.md": "shop\n"})
    base = git(repo, "rev-parse", "HEAD").strip()
    for name, content in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "add configuration")
    git(repo, "rm", "-q", "planted/jwt.txt")
    git(repo, "commit", "-qm", "remove a file")

    runner = CliRunner()
    store = tmp_path / "store"
    outputs: list[str] = []
    reports = tmp_path / "reports"
    reports.mkdir()
    for fmt in ("table", "json"):
        result = runner.invoke(main, ["run", str(repo), "--store", str(store), "--since", base,
                                      "--format", fmt, "--sarif", str(reports / f"{fmt}.sarif"),
                                      "--summary-markdown", str(reports / f"{fmt}.md")])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    results = json.loads(outputs[1])
    assert results["controls"]["AC-4"] == "fail"
    for args in (["--format", "table"], ["--format", "json"], ["--format", "sarif"],
                 ["--history", "--format", "sarif"], ["--since", base, "--format", "json"]):
        result = runner.invoke(main, ["scan", "secrets", str(repo), *args])
        assert result.exit_code == 1, result.output
        outputs.append(result.output)
    assert len(list(reports.iterdir())) == 4
    written = _everything_written(store) + _everything_written(reports) + "\n".join(outputs).encode()
    assert b"ghp_" in written  # the previews are there; the secrets are not
    leaked = {rule_id for rule_id, secret in secrets.items() if any(f in written for f in _forms(secret))}
    assert leaked == set()
