"""Standard Webhooks signatures: what we send verifies, anything tampered does not."""

from shared.webhooks import new_secret, signed_headers, verify

# The example from the Standard Webhooks specification.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specification_example_signs_the_same():
    headers = signed_headers(SPEC_SECRET, SPEC_ID, SPEC_BODY, now=1614265330)
    assert headers["webhook-signature"] == SPEC_SIGNATURE
    assert verify(SPEC_SECRET, headers, SPEC_BODY, now=1614265330)


def test_tampering_or_staleness_fails_verification():
    secret = new_secret()
    headers = signed_headers(secret, "d-1", b'{"a":1}', now=1_000_000)
    assert verify(secret, headers, b'{"a":1}', now=1_000_010)
    assert not verify(secret, headers, b'{"a":2}', now=1_000_010)
    assert not verify(new_secret(), headers, b'{"a":1}', now=1_000_010)
    assert not verify(secret, headers, b'{"a":1}', now=1_000_000 + 3600)
