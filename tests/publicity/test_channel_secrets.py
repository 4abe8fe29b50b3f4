"""A push channel's URL is a secret (a robot webhook's `?access_token=...`, a user and
password): neither a failing nor a successful push shows it in an answer, an event or a log."""

import json
import logging

import pytest

from shared.webhooks import new_secret
from tests.publicity.flow import COUNTY, EDITOR, approved_item, delivery, events, show
from tests.publicity.receiver import Receiver
from tests.support import eventually

pytestmark = pytest.mark.db

TOKEN = "SECRET123"


@pytest.fixture
def screen(monkeypatch):
    """The outdoor screen's receiver, configured as robot webhooks are: a token in the query
    and a user and password; it answers without saying where the item appeared."""
    secret = new_secret()
    with Receiver(secret) as receiver:
        receiver.says_where = False
        url = receiver.url.replace("http://", f"http://robot:{TOKEN}pw@") + f"?access_token={TOKEN}"
        monkeypatch.setenv("EXPO_CHANNEL_OUTDOOR_SCREEN_URL", url)
        monkeypatch.setenv("EXPO_CHANNEL_OUTDOOR_SCREEN_SECRET", secret)
        yield receiver


async def answers(publicity, item_id: str) -> str:
    """Everything the API shows of the item, to its author and to the editors."""
    texts = []
    for who in (COUNTY, EDITOR):
        for path in (
            f"/api/v1/items/{item_id}",
            "/api/v1/items",
            f"/api/v1/items/{item_id}/versions",
        ):
            answer = await publicity.client.get(path, headers=who)
            assert answer.status_code == 200, answer.text
            texts.append(answer.text)
    return "\n".join(texts)


def logged(caplog) -> str:
    return "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records) + caplog.text


@pytest.mark.finding(4)
async def test_a_push_channel_url_shows_nowhere(publicity, screen, nats_server, caplog):
    caplog.set_level(logging.DEBUG)
    screen.failing = True
    item = await approved_item(publicity, channels=["outdoor_screen"])
    await publicity.client.post(f"/api/v1/items/{item['id']}/publish", headers=EDITOR)

    async def retrying():
        d = delivery(await show(publicity, item["id"]), "outdoor_screen")
        return d["status"] == "retrying" and d["last_error"]

    await eventually(retrying, what="the failure reported")
    failed = delivery(await show(publicity, item["id"]), "outdoor_screen")
    assert "503" in failed["last_error"]  # still says what went wrong, and where
    assert "127.0.0.1" in failed["last_error"] and "/hook" in failed["last_error"]
    seen = await answers(publicity, item["id"])
    assert TOKEN not in seen and "access_token" not in seen
    assert TOKEN not in logged(caplog)

    screen.failing = False

    async def pushed():
        return (
            delivery(await show(publicity, item["id"]), "outdoor_screen")["status"] == "published"
        )

    await eventually(pushed, timeout=15, what="the channel recovered and got the item")
    assert len(screen.received) == 1
    done = delivery(await show(publicity, item["id"]), "outdoor_screen")
    assert done["reference"] and done["last_error"] is None

    async def published_event():
        return len(await events(nats_server.url, "item.published")) == 1

    await eventually(published_event)
    on_bus = json.dumps(await events(nats_server.url), ensure_ascii=False)
    assert TOKEN not in on_bus and "access_token" not in on_bus
    seen = await answers(publicity, item["id"])
    assert TOKEN not in seen and "access_token" not in seen
    assert TOKEN not in logged(caplog)
