"""Bearer tokens -> principals.

A token is a JWT (RFC 7519, HS256, through PyJWT) signed with EXPO_AUTH_SECRET, so services
verify it without storing tokens. Its header names the key (`kid`, derived from the secret),
so that during a rotation the previous secret (EXPO_AUTH_PREVIOUS_SECRET) is still accepted.
Its claims: `sub` (who, recorded as the actor), `role`, `jti` (the token's id, which
`expo token revoke` puts on the revocation list), `iat`, and `exp`, always: DEFAULT_TTL_DAYS
unless asked, never more than MAX_TTL_DAYS. Roles: `committee`, `group:<code>`,
`county:<code>`, `ops`, `integrator`. A county principal sees and changes its own county only.
"""

import hashlib
import re
import time
import uuid
from collections.abc import Container
from dataclasses import dataclass

import jwt

ROLE_PATTERN = re.compile(
    r"^(committee|ops|integrator|group:[a-z][a-z0-9_-]*|county:[a-z][a-z0-9_-]*)$"
)
ALGORITHM = "HS256"
ISSUER = "expoops"
DEFAULT_TTL_DAYS = 30
MAX_TTL_DAYS = 365  # a long-lived machine token (Prometheus's scrape) is renewed yearly
# Clocks of the issuing machine and the services differ a little.
CLOCK_SKEW_SECONDS = 60
TOKEN_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # also a valid NATS KV key
_REQUIRED_CLAIMS = ["exp", "iat", "jti", "sub", "iss"]


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    id: str  # who, as recorded in events and history (never personal data)
    role: str
    token_id: str | None = None

    @property
    def county(self) -> str | None:
        return self.role.removeprefix("county:") if self.role.startswith("county:") else None

    @property
    def group(self) -> str | None:
        return self.role.removeprefix("group:") if self.role.startswith("group:") else None

    @property
    def is_committee(self) -> bool:
        return self.role == "committee"

    def may_act_for_county(self, county: str) -> bool:
        return self.is_committee or self.county == county


def key_id(secret: str) -> str:
    """A public name for a secret: tells which key signed a token without revealing it."""
    return hashlib.sha256(b"expoops-token-key\n" + secret.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TokenKeys:
    """The secret that signs new tokens, and the previous one, still accepted in a rotation."""

    signing: str
    previous: str | None = None

    def verifying(self) -> dict[str, str]:
        keys = {key_id(self.signing): self.signing}
        if self.previous:
            keys[key_id(self.previous)] = self.previous
        return keys


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: int  # seconds since the epoch


def issue(
    secret: str, role: str, subject: str | None = None, ttl_days: float | None = None
) -> IssuedToken:
    if not ROLE_PATTERN.match(role):
        raise ValueError(f"unknown role {role!r}")
    days = DEFAULT_TTL_DAYS if ttl_days is None else ttl_days
    if days > MAX_TTL_DAYS:
        raise ValueError(f"a token lives at most {MAX_TTL_DAYS} days (asked: {days:g})")
    now = int(time.time())
    token_id = uuid.uuid4().hex
    expires_at = now + int(days * 86400)
    claims = {
        "iss": ISSUER,
        "sub": subject or f"{role}:{uuid.uuid4().hex[:8]}",
        "role": role,
        "jti": token_id,
        "iat": now,
        "exp": expires_at,
    }
    token = jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"kid": key_id(secret)})
    return IssuedToken(token, token_id, expires_at)


def issue_token(
    secret: str, role: str, subject: str | None = None, ttl_days: float | None = None
) -> str:
    return issue(secret, role, subject, ttl_days).token


def verify_token(
    keys: TokenKeys | str, token: str, revoked: Container[str] = frozenset()
) -> Principal:
    """The token's principal, or InvalidToken saying why not (never any other exception)."""
    if isinstance(keys, str):
        keys = TokenKeys(keys)
    try:
        header = jwt.get_unverified_header(token)
        secret = keys.verifying().get(header.get("kid"))  # type: ignore[arg-type]
        if secret is None:
            raise InvalidToken("signed with an unknown key")
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token expired") from None
    except jwt.InvalidSignatureError:
        raise InvalidToken("bad signature") from None
    except jwt.ImmatureSignatureError:
        raise InvalidToken("issued in the future") from None
    except (jwt.PyJWTError, TypeError, ValueError) as exc:
        raise InvalidToken(f"malformed token ({type(exc).__name__})") from None
    subject, role, token_id = claims["sub"], claims.get("role"), claims["jti"]
    if not isinstance(role, str) or not ROLE_PATTERN.match(role):
        raise InvalidToken("unknown role")
    if not isinstance(token_id, str) or not TOKEN_ID_PATTERN.match(token_id):
        raise InvalidToken("malformed token id")
    # An `exp` decades ahead would make a leaked token good forever: refused like an expired one.
    if claims["exp"] - claims["iat"] > MAX_TTL_DAYS * 86400 + CLOCK_SKEW_SECONDS:
        raise InvalidToken(f"lives longer than {MAX_TTL_DAYS} days")
    if token_id in revoked:
        raise InvalidToken("revoked")
    return Principal(id=subject, role=role, token_id=token_id)


def token_id_of(token: str) -> tuple[str, int | None]:
    """The id and expiry a token claims, unverified: what a revocation needs to know."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidToken("not a token") from None
    token_id = claims.get("jti")
    if not isinstance(token_id, str) or not TOKEN_ID_PATTERN.match(token_id):
        raise InvalidToken("the token has no id (jti)")
    expires = claims.get("exp")
    return token_id, expires if isinstance(expires, int) else None
