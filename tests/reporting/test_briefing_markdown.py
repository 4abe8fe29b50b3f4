"""What counties and groups type shows in the Markdown briefing as they typed it: a report's
problems or a task's title never start a heading, an image, a link or raw HTML there."""

import re

import pytest

from tests.reporting.rehearsal import COMMITTEE, at, before_the_dispatch, move_clock
from tests.support import token

pytestmark = pytest.mark.db

PROBLEMS = (
    "场地未落实\n"
    "# 标题\n"
    "![x](http://evil/img.png)\n"
    "[link](javascript:alert(1))\n"
    "<img src=x onerror=alert(1)>\n"
    "> 引用 **加粗** | 表格 |\n"
    "- 列表"
)
TITLE = "签约清单 [点此](http://evil/task) ![图](http://evil/t.png)\n## 任务标题"
BRIEFING_HEADINGS = {
    "# 日调度简报 Daily dispatch briefing — 2020-08-20",
    "## Changes since the last briefing",
    "## Late tasks (1)",
    "## Missing reports",
    "## Halls held back by a failed safety inspection",
    "## Halls not ready",
    "## Signing projects stuck in their stage",
    "## Problems raised in reports (协调解决问题)",
    "## Counties",
}
# an image, a link or an HTML tag that Markdown would make of the text (not backslash-escaped)
MARKUP = re.compile(r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(|(?<!\\)<[A-Za-z/!]")


@pytest.fixture
async def reporting(nats_server, databases, tmp_path):
    async with before_the_dispatch(nats_server.url, tmp_path) as svc:
        yield svc


@pytest.mark.finding(11)
async def test_report_text_and_task_titles_show_as_text_in_the_markdown_briefing(reporting):
    created = await reporting.client.post(
        "/api/v1/tasks",
        json={
            "group": "signing",
            "title": TITLE,
            "responsible": "王主任 *",
            "deadline": at("2020-08-19T12:00"),
            "quality_standard": "全部核实",
        },
        headers=token("group:signing"),
    )
    assert created.status_code == 201, created.text
    await move_clock(reporting, "2020-08-20T06:00")
    filed = await reporting.client.post(
        "/api/v1/reports/D2020-08-20",
        json={"done": "…", "next": "…", "problems": PROBLEMS, "rag": "red"},
        headers=token("county:lingtai"),
    )
    assert filed.status_code == 201, filed.text
    assert (await move_clock(reporting, "2020-08-20T07:31"))["briefings"] == 1

    answer = await reporting.client.get("/api/v1/briefings/2020-08-20", headers=COMMITTEE)
    assert answer.status_code == 200, answer.text
    markdown = answer.text
    lines = markdown.splitlines()

    headings = [line for line in lines if line.lstrip().startswith("#")]
    assert all(any(h.startswith(known) for known in BRIEFING_HEADINGS) for h in headings), headings
    assert not [line for line in lines if line.lstrip().startswith((">", "<", "!", "["))]
    assert not MARKUP.findall(markdown), MARKUP.findall(markdown)

    # each stays one list item, and its words are all there
    [problem] = [line for line in lines if line.startswith("- county:lingtai (D2020-08-20): ")]
    for words in (
        "场地未落实",
        "标题",
        "evil",
        "img.png",
        "link",
        "javascript",
        "引用",
        "加粗",
        "列表",
    ):
        assert words in problem
    [task] = [line for line in lines if "签约清单" in line]
    assert task.startswith("- [signing] 签约清单 ")
    assert "点此" in task and "任务标题" in task and "王主任" in task

    try:
        from markdown_it import MarkdownIt
    except ImportError:  # the text checks above stand on their own
        return
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<img" not in rendered and "<a " not in rendered and "<blockquote" not in rendered
    assert "标题</h" not in rendered and "<strong>加粗" not in rendered
    assert "场地未落实" in rendered and "![x](http://evil/img.png)" in rendered
