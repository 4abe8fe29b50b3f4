"""/docs and /asyncapi.html run scripts beside the token a person pastes into them: every script
and stylesheet they load from a CDN is an exact version, pinned by its integrity hash."""

import re

import pytest

from shared.doc_pages import ASSETS
from tests.support import running_service, service_settings

pytestmark = [pytest.mark.db, pytest.mark.finding(18)]

TAG = re.compile(r"<(script|link)\b[^>]*>")


def external_tags(page: str) -> list[str]:
    return [match.group(0) for match in TAG.finditer(page) if "https://" in match.group(0)]


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
async def test_every_external_script_and_stylesheet_is_pinned_and_hashed(
    nats_server, databases, tmp_path
):
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with running_service("registration", settings) as svc:
        for page in ("/docs", "/asyncapi.html"):
            answer = await svc.client.get(page)
            assert answer.status_code == 200
            tags = external_tags(answer.text)
            assert len(tags) == 2, (page, tags)  # its script and its stylesheet
            for tag in tags:
                assert re.search(r'integrity="sha384-[A-Za-z0-9+/]{64}"', tag), tag
                assert 'crossorigin="anonymous"' in tag, tag
                # An exact version: a floating one ("@5") would change under the hash.
                assert re.search(r"@\d+\.\d+\.\d+/", tag), tag
        assert "/openapi.json" in (await svc.client.get("/docs")).text
        assert (await svc.client.get("/redoc")).status_code == 404  # unpinned: not served


def test_each_pinned_asset_has_its_own_hash():
    assert len({asset.integrity for asset in ASSETS}) == len(ASSETS)
    assert len({asset.url for asset in ASSETS}) == len(ASSETS)
