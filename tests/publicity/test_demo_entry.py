"""The demo's publicity part, entered through the API as `make run` enters it: every item
reaches its status, and a second entry replays instead of adding."""

import httpx
import pytest

from shared.demo import demo_file, read_demo
from shared.demo import publicity as demo_publicity
from shared.demo.client import DemoClient
from tests.publicity.flow import EDITOR
from tests.support import TEST_SECRET

pytestmark = pytest.mark.db


async def test_the_demo_items_and_bulletins_enter_and_a_second_entry_adds_nothing(publicity):
    runtime = publicity.runtime
    data = read_demo(demo_file(runtime.settings.edition_file))
    urls = {"publicity": str(publicity.client.base_url)}
    transport = publicity.client._transport
    async with httpx.AsyncClient(transport=transport) as http:
        first = DemoClient(http, urls, runtime.edition, TEST_SECRET)
        await demo_publicity.enter(first, data)
        again = DemoClient(http, urls, runtime.edition, TEST_SECRET)
        await demo_publicity.enter(again, data)
    assert first.tally.entered["publicity items"] == len(data["items"])
    assert again.tally.changes == 0 and again.tally.replayed == first.tally.changes

    listed = await publicity.client.get("/api/v1/items?limit=200", headers=EDITOR)
    by_title = {i["title"]: i for i in listed.json()["items"]}
    for wanted in data["items"]:
        item = by_title[wanted["title"]]
        assert item["status"] == wanted["status"], wanted["key"]
        for channel, where in wanted.get("publications", {}).items():
            [recorded] = [
                d
                for d in item["deliveries"]
                if d["channel"] == channel and d["status"] == "published"
            ]
            assert recorded["reference"] == where  # as every version of the demo sends it
