"""Bearer tokens: JWTs issued by the CLI, verified without storing them, confined by role,
always expiring, signed by a named key so that a rotation keeps the previous one working."""

import secrets
import subprocess
import sys
import time

import jwt
import pytest

from shared.auth import (
    ISSUER,
    MAX_TTL_DAYS,
    InvalidToken,
    TokenKeys,
    issue,
    issue_token,
    key_id,
    verify_token,
)
from tests.support import TEST_SECRET

# Taken once, when the module loads: every lifetime below is days long, so a slow run of
# the whole suite never makes a "valid" token expire before its test.
NOW = int(time.time())


def test_a_token_names_its_principal_and_county():
    principal = verify_token(TEST_SECRET, issue_token(TEST_SECRET, "county:kongtong", "zhang"))
    assert principal.id == "zhang"
    assert principal.county == "kongtong"
    assert principal.may_act_for_county("kongtong")
    assert not principal.may_act_for_county("huating")


def test_committee_acts_for_every_county_and_groups_for_none():
    committee = verify_token(TEST_SECRET, issue_token(TEST_SECRET, "committee"))
    group = verify_token(TEST_SECRET, issue_token(TEST_SECRET, "group:publicity"))
    assert committee.may_act_for_county("jingning")
    assert group.group == "publicity" and not group.may_act_for_county("jingning")


def test_a_token_is_a_standard_jwt_with_key_id_token_id_and_expiry():
    issued = issue(TEST_SECRET, "ops", "prometheus")
    header = jwt.get_unverified_header(issued.token)
    assert header == {"alg": "HS256", "typ": "JWT", "kid": key_id(TEST_SECRET)}
    claims = jwt.decode(issued.token, TEST_SECRET, algorithms=["HS256"], issuer=ISSUER)
    assert claims["jti"] == issued.token_id and claims["sub"] == "prometheus"
    assert claims["iat"] <= time.time() + 1
    # No lifetime asked: the default one, 30 days.
    assert claims["exp"] - claims["iat"] == 30 * 86400 == issued.expires_at - claims["iat"]
    assert verify_token(TEST_SECRET, issued.token).token_id == issued.token_id


def test_the_key_id_names_the_secret_without_revealing_it():
    assert key_id(TEST_SECRET) == key_id(TEST_SECRET) != key_id(secrets.token_urlsafe(32))
    assert TEST_SECRET[:8] not in key_id(TEST_SECRET)


def _signed(claims: dict, secret: str = TEST_SECRET, **header) -> str:
    header = {"kid": key_id(secret)} | header
    return jwt.encode(claims, secret, algorithm="HS256", headers=header)


GOOD = {"iss": ISSUER, "sub": "zhang", "role": "committee", "jti": "a1b2", "iat": NOW}


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (GOOD | {"exp": NOW + 2 * 86400, "iat": NOW + 86400}, "future"),  # iat ahead of the clock
        (GOOD | {"exp": NOW + 100 * 365 * 86400}, f"longer than {MAX_TTL_DAYS} days"),
        (GOOD, "malformed"),  # no exp at all
        ({k: v for k, v in GOOD.items() if k != "jti"} | {"exp": NOW + 86400}, "malformed"),
        (GOOD | {"exp": NOW + 86400, "iss": "elsewhere"}, "malformed"),
        (GOOD | {"exp": NOW + 86400, "role": "admin"}, "unknown role"),
        (GOOD | {"exp": NOW - 3600}, "expired"),
    ],
)
@pytest.mark.finding(8)
def test_tokens_without_an_honest_lifetime_or_shape_are_refused(claims, reason):
    with pytest.raises(InvalidToken, match=reason):
        verify_token(TEST_SECRET, _signed(claims))


@pytest.mark.parametrize("expires", ["tomorrow", True, None, [1]])
@pytest.mark.finding(14)
def test_a_signed_expiry_of_the_wrong_type_is_an_invalid_token(expires):
    """Signed with the right secret, yet malformed: refused as invalid (it was a 500)."""
    with pytest.raises(InvalidToken):
        verify_token(TEST_SECRET, _signed(GOOD | {"exp": expires}))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + ("abc" if t[-3:] != "abc" else "xyz"),  # signature changed
        lambda t: "expo." + t.split(".", 1)[1],  # header replaced
        lambda t: t.split(".")[0] + ".e30." + t.rsplit(".", 1)[1],  # claims swapped
        lambda t: "not-a-token",
        lambda t: "a.b",
        lambda t: t[:-1] + "é",  # a non-ASCII character in the signature (was a 500)
        lambda t: t + "." + t,
    ],
)
@pytest.mark.finding(14)
def test_tampered_tokens_are_refused(mangle):
    with pytest.raises(InvalidToken):
        verify_token(TEST_SECRET, mangle(issue_token(TEST_SECRET, "committee")))


def test_the_none_algorithm_and_another_algorithm_are_refused():
    unsigned = jwt.encode(GOOD | {"exp": NOW + 86400}, None, algorithm="none")
    with pytest.raises(InvalidToken):
        verify_token(TEST_SECRET, unsigned)
    other = jwt.encode(
        GOOD | {"exp": NOW + 86400},
        TEST_SECRET,
        algorithm="HS512",
        headers={"kid": key_id(TEST_SECRET)},
    )
    with pytest.raises(InvalidToken):
        verify_token(TEST_SECRET, other)


def test_a_token_signed_with_another_secret_is_refused():
    other = secrets.token_urlsafe(32)
    with pytest.raises(InvalidToken, match="unknown key"):
        verify_token(TEST_SECRET, issue_token(other, "committee"))
    # Even when it claims our key's id.
    with pytest.raises(InvalidToken, match="signature"):
        verify_token(
            TEST_SECRET, _signed(GOOD | {"exp": NOW + 86400}, other, kid=key_id(TEST_SECRET))
        )


@pytest.mark.finding(8)
def test_during_a_rotation_both_keys_verify_and_the_new_one_signs():
    old, new = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    rotating = TokenKeys(signing=new, previous=old)
    assert verify_token(rotating, issue_token(old, "ops", "before")).id == "before"
    assert verify_token(rotating, issue_token(new, "ops", "after")).id == "after"
    # Once the rotation ends, the old key's tokens are refused.
    with pytest.raises(InvalidToken, match="unknown key"):
        verify_token(TokenKeys(signing=new), issue_token(old, "ops"))


@pytest.mark.finding(8)
def test_a_revoked_token_is_refused_and_others_are_not():
    revoked, kept = issue(TEST_SECRET, "ops"), issue(TEST_SECRET, "ops")
    with pytest.raises(InvalidToken, match="revoked"):
        verify_token(TEST_SECRET, revoked.token, {revoked.token_id})
    assert verify_token(TEST_SECRET, kept.token, {revoked.token_id}).role == "ops"


@pytest.mark.finding(8)
def test_lifetimes_are_bounded_when_issued():
    with pytest.raises(ValueError, match=f"at most {MAX_TTL_DAYS} days"):
        issue_token(TEST_SECRET, "ops", ttl_days=MAX_TTL_DAYS + 1)
    expired = issue_token(TEST_SECRET, "ops", ttl_days=-1)
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(TEST_SECRET, expired)


def test_unknown_roles_cannot_be_issued():
    with pytest.raises(ValueError, match="unknown role"):
        issue_token(TEST_SECRET, "admin")


def _cli(*args: str, secret: str | None = TEST_SECRET) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "token", *args],
        capture_output=True,
        text=True,
        env={"PATH": ""} | ({"EXPO_AUTH_SECRET": secret} if secret else {}),
        check=False,
    )


def test_the_cli_issues_tokens_the_services_accept():
    done = _cli("county:jingning", "--subject", "li-si", "--ttl-days", "2")
    assert done.returncode == 0, done.stderr
    principal = verify_token(TEST_SECRET, done.stdout.strip())
    assert (principal.id, principal.county) == ("li-si", "jingning")
    # Its id (for a revocation) and expiry are told beside it, not mixed into stdout.
    assert f"token id {principal.token_id}, expires " in done.stderr


def test_the_cli_refuses_counties_the_edition_does_not_know():
    done = _cli("county:atlantis")
    assert done.returncode != 0
    assert "unknown county 'atlantis'" in done.stderr


def test_the_cli_refuses_a_lifetime_past_the_maximum():
    done = _cli("committee", "--ttl-days", "3650")
    assert done.returncode != 0 and f"at most {MAX_TTL_DAYS} days" in done.stderr


@pytest.mark.finding(1)
def test_the_cli_issues_nothing_without_a_secret_and_says_how_to_make_one():
    done = _cli("committee", secret=None)
    assert done.returncode != 0 and done.stdout == ""
    assert "EXPO_AUTH_SECRET is not set" in done.stderr
    assert "secrets.token_urlsafe(32)" in done.stderr
