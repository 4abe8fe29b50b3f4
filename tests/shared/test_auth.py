"""Bearer tokens: issued by the CLI, verified without storing them, confined by role."""

import json
import subprocess
import sys

import pytest

from shared.auth import InvalidToken, issue_token, verify_token
from tests.support import TEST_SECRET


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


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + "abc",  # signature changed
        lambda t: t.replace("expo.", "jwt.", 1),
        lambda t: "expo.e30." + t.rsplit(".", 1)[1],  # claims swapped
        lambda t: "not-a-token",
        lambda t: t[:-1] + "é",  # a non-ASCII character in the signature (was a 500)
    ],
)
def test_tampered_tokens_are_refused(mangle):
    with pytest.raises(InvalidToken):
        verify_token(TEST_SECRET, mangle(issue_token(TEST_SECRET, "committee")))


def test_a_token_signed_with_another_secret_is_refused():
    with pytest.raises(InvalidToken, match="signature"):
        verify_token(TEST_SECRET, issue_token("another-secret-0123456789", "committee"))


def test_expired_tokens_are_refused():
    token = issue_token(TEST_SECRET, "ops", ttl_days=-1)
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(TEST_SECRET, token)


def test_unknown_roles_cannot_be_issued():
    with pytest.raises(ValueError, match="unknown role"):
        issue_token(TEST_SECRET, "admin")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "token", *args],
        capture_output=True,
        text=True,
        env={"EXPO_AUTH_SECRET": TEST_SECRET, "PATH": ""},
        check=False,
    )


def test_the_cli_issues_tokens_the_services_accept():
    done = _cli("county:jingning", "--subject", "li-si")
    assert done.returncode == 0, done.stderr
    principal = verify_token(TEST_SECRET, done.stdout.strip())
    assert (principal.id, principal.county) == ("li-si", "jingning")


def test_the_cli_refuses_counties_the_edition_does_not_know():
    done = _cli("county:atlantis")
    assert done.returncode != 0
    assert "unknown county 'atlantis'" in done.stderr


@pytest.mark.parametrize("expires", ["tomorrow", 1.5e12, True, None, [1]])
def test_a_signed_expiry_of_the_wrong_type_is_an_invalid_token(expires):
    """Signed with the right secret, yet malformed: refused as invalid (it was a 500)."""
    from shared.auth import TOKEN_PREFIX, _b64, _sign

    claims = {"sub": "zhang", "role": "committee", "iat": 0, "exp": expires}  # null too
    payload = _b64(json.dumps(claims).encode())
    token = f"{TOKEN_PREFIX}.{payload}.{_sign(TEST_SECRET, payload)}"
    with pytest.raises(InvalidToken):
        verify_token(TEST_SECRET, token)
