"""What `GET /exhibits` shows whom: a county its own county's achievements in any status and
another county's only once approved, as registration does; the groups and the committee all."""

import pytest

from tests.exhibitions.flow import (
    API,
    COMMITTEE,
    GROUP,
    KONGTONG,
    known_approved,
    registration_and_exhibitions,
    submitted_only,
)
from tests.support import token

pytestmark = pytest.mark.db

HUATING = token("county:huating", "huating-clerk")


@pytest.fixture
async def stack(nats_server, databases, tmp_path):
    async with registration_and_exhibitions(nats_server.url, tmp_path) as stack:
        yield stack


@pytest.fixture
async def achievements(stack) -> dict[str, dict]:
    return {
        "kongtong submitted": await submitted_only(stack, "kongtong", title="崆峒草稿成果"),
        "kongtong approved": await known_approved(stack, "kongtong", title="崆峒公开成果"),
        "huating submitted": await submitted_only(stack, "huating", title="华亭保密成果"),
        "huating approved": await known_approved(stack, "huating", title="华亭公开成果"),
    }


async def shown(stack, headers, **params) -> set[str]:
    answer = await stack.exhibitions.client.get(
        f"{API}/exhibits", params=params | {"limit": 200}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["total"] == len(page["items"])
    return {e["title"] for e in page["items"]}


@pytest.mark.finding(5)
async def test_a_county_sees_its_own_exhibits_in_any_status_and_others_only_approved(
    stack, achievements
):
    assert await shown(stack, KONGTONG) == {"崆峒草稿成果", "崆峒公开成果", "华亭公开成果"}
    assert await shown(stack, HUATING) == {"崆峒公开成果", "华亭保密成果", "华亭公开成果"}
    assert await shown(stack, KONGTONG, status="submitted") == {"崆峒草稿成果"}
    every = {"崆峒草稿成果", "崆峒公开成果", "华亭保密成果", "华亭公开成果"}
    for headers in (GROUP, token("group:registration"), COMMITTEE):
        assert await shown(stack, headers) == every


async def test_a_county_filtering_by_another_county_gets_its_approved_ones_only(
    stack, achievements
):
    assert await shown(stack, KONGTONG, county="huating") == {"华亭公开成果"}
    assert await shown(stack, KONGTONG, county="huating", status="approved") == {"华亭公开成果"}
    assert await shown(stack, KONGTONG, county="kongtong", status="submitted") == {"崆峒草稿成果"}


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected", "withdrawn"])
@pytest.mark.finding(5)
async def test_asking_for_another_countys_unapproved_exhibits_is_forbidden(
    stack, achievements, status
):
    answer = await stack.exhibitions.client.get(
        f"{API}/exhibits", params={"county": "huating", "status": status}, headers=KONGTONG
    )
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == ["status"]
    assert "华亭保密成果" not in answer.text
