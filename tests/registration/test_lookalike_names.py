"""Names that look the same are the same name: unit names and achievement titles are
NFKC-normalised (fullwidth letters become ASCII), and one holding an invisible or
bidirectional control character is refused with 422 naming the field, storing nothing."""

import pytest

from services.registration.domain import normalise_name
from tests.registration.flow import API, COMMITTEE, KONGTONG, create_unit, draft
from tests.support import achievement_body, assert_problem, unit_body

pytestmark = [pytest.mark.db, pytest.mark.finding(12)]

INVISIBLE = {
    "zero-width-space": "静宁\u200b苹果研究所",
    "zero-width-joiner": "静宁苹果\u200d研究所",
    "right-to-left-mark": "静宁苹果研究所\u200f",
    "right-to-left-override": "\u202e所究研果苹宁静",
    "left-to-right-isolate": "静宁\u2066苹果\u2069研究所",
    "word-joiner": "静宁\u2060苹果研究所",
    "byte-order-mark-inside": "静宁\ufeff苹果研究所",
    "soft-hyphen": "Jing\u00adning Apple Institute",
    "tag-character": "静宁苹果研究所\U000e0041",
}


async def names(client, county: str = "kongtong") -> list[str]:
    answer = await client.get(f"{API}/units", params={"county": county}, headers=COMMITTEE)
    assert answer.status_code == 200, answer.text
    return [u["name"] for u in answer.json()["items"]]


async def titles(client) -> list[str]:
    answer = await client.get(f"{API}/achievements", headers=COMMITTEE)
    assert answer.status_code == 200, answer.text
    return [a["title"] for a in answer.json()["items"]]


async def test_a_fullwidth_name_is_the_same_name_as_its_ascii_one(registration):
    client = registration.client
    first = await client.post(
        f"{API}/units", json=unit_body(name="ＡＢＣ农业科技有限公司"), headers=KONGTONG
    )
    assert first.status_code == 201, first.text
    assert first.json()["name"] == "ABC农业科技有限公司"

    for lookalike in ("ABC农业科技有限公司", "ＡＢＣ农业科技有限公司", "ＡBＣ农业科技有限公司"):
        again = await client.post(f"{API}/units", json=unit_body(name=lookalike), headers=KONGTONG)
        assert_problem(again, 409, field="name")
        assert again.json()["rule"] == "name_taken"
    assert await names(client) == ["ABC农业科技有限公司"]


async def test_a_unit_renamed_to_a_fullwidth_lookalike_of_another_is_refused(registration):
    client = registration.client
    await create_unit(client, "kongtong", name="平凉2号研究所")
    other = await create_unit(client, "kongtong", name="崆峒研究所")
    renamed = await client.patch(
        f"{API}/units/{other['id']}", json={"name": "平凉２号研究所"}, headers=KONGTONG
    )
    assert_problem(renamed, 409, field="name")
    assert sorted(await names(client)) == sorted(["平凉2号研究所", "崆峒研究所"])


@pytest.mark.parametrize("name", INVISIBLE.values(), ids=INVISIBLE.keys())
async def test_a_unit_name_with_invisible_characters_is_refused(registration, name):
    client = registration.client
    answer = await client.post(f"{API}/units", json=unit_body(name=name), headers=KONGTONG)
    assert_problem(answer, 422, field="name")
    invisible = next(c for c in name if c not in "静宁苹果研究所所究研果苹宁静" and not c.isascii())
    assert f"U+{ord(invisible):04X}" in answer.json()["errors"][0]["reason"]
    assert await names(client) == []

    unit = await create_unit(client, "kongtong", name="静宁苹果研究所")
    renamed = await client.patch(f"{API}/units/{unit['id']}", json={"name": name}, headers=KONGTONG)
    assert_problem(renamed, 422, field="name")
    assert await names(client) == ["静宁苹果研究所"]


@pytest.mark.parametrize("title", INVISIBLE.values(), ids=INVISIBLE.keys())
async def test_an_achievement_title_with_invisible_characters_is_refused(registration, title):
    client = registration.client
    unit = await create_unit(client, "kongtong")
    answer = await client.post(
        f"{API}/achievements", json=achievement_body(unit["id"], title=title), headers=KONGTONG
    )
    assert_problem(answer, 422, field="title")
    assert await titles(client) == []

    drafted = await draft(client, unit, title="旱作农业节水技术")
    changed = await client.patch(
        f"{API}/achievements/{drafted['id']}", json={"title": title}, headers=KONGTONG
    )
    assert_problem(changed, 422, field="title")
    assert await titles(client) == ["旱作农业节水技术"]


async def test_an_achievement_title_is_stored_normalised(registration):
    client = registration.client
    unit = await create_unit(client, "kongtong")
    answer = await client.post(
        f"{API}/achievements",
        json=achievement_body(unit["id"], title="５Ｇ智慧农业　ＡＩ识别"),
        headers=KONGTONG,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["title"] == "5G智慧农业 AI识别"
    assert await titles(client) == ["5G智慧农业 AI识别"]


def test_normalise_name_folds_compatibility_forms_and_spaces():
    assert normalise_name("  ＡＢＣ\u3000 农业  ") == "ABC 农业"
    assert normalise_name("平凉２号") == normalise_name("平凉2号") == "平凉2号"
    assert normalise_name("㈱平凉") == "(株)平凉"
