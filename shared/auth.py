"""Bearer tokens -> principals.

A token is `expo.<payload>.<signature>`: base64url JSON claims signed with HMAC-SHA256 under
EXPO_AUTH_SECRET, so services verify it without storing tokens at all. Roles:
`committee`, `group:<code>`, `county:<code>`, `ops`, `integrator`. A county principal sees
and changes its own county only.
"""

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass

ROLE_PATTERN = re.compile(
    r"^(committee|ops|integrator|group:[a-z][a-z0-9_-]*|county:[a-z][a-z0-9_-]*)$"
)
TOKEN_PREFIX = "expo"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    id: str  # who, as recorded in events and history (never personal data)
    role: str

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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def issue_token(
    secret: str, role: str, subject: str | None = None, ttl_days: int | None = None
) -> str:
    if not ROLE_PATTERN.match(role):
        raise ValueError(f"unknown role {role!r}")
    now = int(time.time())
    claims = {"sub": subject or f"{role}:{uuid.uuid4().hex[:8]}", "role": role, "iat": now}
    if ttl_days:
        claims["exp"] = now + ttl_days * 86400
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{TOKEN_PREFIX}.{payload}.{_sign(secret, payload)}"


def verify_token(secret: str, token: str) -> Principal:
    try:
        prefix, payload, signature = token.split(".")
    except ValueError:
        raise InvalidToken("malformed token") from None
    if prefix != TOKEN_PREFIX:
        raise InvalidToken("malformed token")
    # Bytes, not str: compare_digest refuses a str with a non-ASCII character (a 500 before).
    if not hmac.compare_digest(_sign(secret, payload).encode(), signature.encode()):
        raise InvalidToken("bad signature")
    try:
        claims = json.loads(_unb64(payload))
        subject, role = str(claims["sub"]), str(claims["role"])
        expires = claims.get("exp")
        if "exp" in claims and (isinstance(expires, bool) or not isinstance(expires, int)):
            raise TypeError("exp is not a whole number of seconds")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidToken("malformed claims") from None
    if expires is not None and expires < time.time():
        raise InvalidToken("token expired")
    if not ROLE_PATTERN.match(role):
        raise InvalidToken("unknown role")
    return Principal(id=subject, role=role)
