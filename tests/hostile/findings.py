"""The security findings ExpoOps was tried against (an attacker's run on a loopback stack, white
box), each with the tests that re-try it: `@pytest.mark.finding(n)` on a test names the finding
it re-tries, and `make test` ends with a line per finding saying whether every one still holds.
"""

FINDINGS: dict[int, str] = {
    1: "a committee token forged for a default deployment (built-in secret)",
    2: "placeholder secrets (CHANGE_ME...) accepted in production",
    3: "/metrics serves every county's business figures without a token",
    4: "a push channel URL's credential leaks into errors, references, events and logs",
    5: "GET /exhibits shows other counties' unapproved achievements",
    6: "a county holds a release session of another county's achievement",
    7: "the body limit bypassed by chunked encoding, before authentication",
    8: "tokens that never expire and cannot be revoked",
    9: "people's names in the permanent event log",
    10: "stored idempotent answers replayed across counties and roles",
    11: "report text rewrites the Markdown briefing",
    12: "look-alike names register as different units",
    13: "a huge ?offset= is a 500 on every list",
    14: "a malformed token is a 500",
    15: "the bus of `expo run` takes anonymous, foreign and other-edition events",
    16: "ops moves reporting's clock outside a rehearsal",
    17: "var/demo.env world-readable with non-expiring tokens",
    18: "reads across counties, tokens of counties the edition lacks, /docs scripts unpinned",
}
