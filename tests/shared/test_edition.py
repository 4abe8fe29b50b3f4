"""The edition file: reference data every service reads."""

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.edition import load_edition
from shared.settings import REPO_ROOT

PINGLIANG = REPO_ROOT / "deploy" / "editions" / "pingliang-2020.toml"


def test_pingliang_edition_has_its_counties_groups_and_key_dates():
    edition = load_edition(PINGLIANG)
    assert edition.code == "pingliang-2020"
    assert edition.time_zone == "Asia/Shanghai"
    assert edition.county_codes == {
        "kongtong",
        "huating",
        "jingchuan",
        "lingtai",
        "chongxin",
        "zhuanglang",
        "jingning",
        "city",
    }
    assert edition.county("jingning").name == "静宁县"
    assert "coordination" in edition.group_codes
    assert edition.dates.dispatch_start == date(2020, 7, 20)
    assert edition.dates.weekly_reports_until == date(2020, 8, 15)
    assert edition.dates.daily_reports_from == date(2020, 8, 16)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edition.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ('time_zone = "Asia/Shanghai"', 'time_zone = "Mars/Olympus"', "unknown time zone"),
        (
            "daily_reports_from = 2020-08-16",
            "daily_reports_from = 2020-08-10",
            "daily_reports_from",
        ),
        ('code = "huating"', 'code = "kongtong"', "duplicate county codes: kongtong"),
        ('code = "pingliang-2020"', 'code = "Ping Liang"', "code"),
    ],
)
def test_a_broken_edition_is_refused_with_the_reason(tmp_path, replace, by, message):
    text = PINGLIANG.read_text(encoding="utf-8")
    assert replace in text
    with pytest.raises(ValidationError, match=message):
        load_edition(_write(tmp_path, text.replace(replace, by, 1)))


def test_another_city_is_another_file(tmp_path):
    text = PINGLIANG.read_text(encoding="utf-8").replace(
        'code = "pingliang-2020"', 'code = "tianshui-2021"', 1
    )
    assert load_edition(_write(tmp_path, text)).code == "tianshui-2021"


def test_the_registration_freeze_starts_at_local_midnight():
    from datetime import UTC, datetime

    edition = load_edition(PINGLIANG)  # freeze 2020-08-20, Asia/Shanghai (UTC+8)
    assert not edition.registration_frozen(datetime(2020, 8, 19, 15, 59, tzinfo=UTC))
    assert edition.registration_frozen(datetime(2020, 8, 19, 16, 0, tzinfo=UTC))
