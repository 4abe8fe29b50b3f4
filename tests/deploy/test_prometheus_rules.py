"""The Prometheus configuration and alert rules, as Prometheus's own promtool reads them.

`promtool test rules` runs deploy/prometheus/tests/*.yml: for each alert, series that must
make it fire (with the text the on-call person reads) and series that must leave it quiet.
The promtool checks are skipped where promtool is not installed; .ci/run installs it.
"""

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from tests.deploy.promql import ALERT_RULES, alert_rules

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is not installed (Debian/Ubuntu: apt-get install prometheus)",
)


def promtool(*args: str) -> subprocess.CompletedProcess:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def configuration_folder(tmp_path: Path, scrape_token: str | None) -> Path:
    """deploy/prometheus/ as compose mounts it at /etc/prometheus: the configuration and its
    rules, and the scrape token the operator writes there (git has none)."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    for name in ("prometheus.yml", "alerts.yml"):
        (folder / name).write_text((PROMETHEUS / name).read_text())
    if scrape_token is not None:
        (folder / "scrape-token").write_text(scrape_token + "\n")
    return folder


@needs_promtool
def test_the_configuration_is_valid_and_finds_the_rules_and_token_next_to_it(tmp_path):
    folder = configuration_folder(tmp_path, scrape_token=f"not-checked-{uuid.uuid4().hex}")

    result = promtool("check", "config", str(folder / "prometheus.yml"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Checking {folder / 'alerts.yml'}" in result.stdout, result.stdout


@needs_promtool
@pytest.mark.finding(3)
def test_the_configuration_needs_the_scrape_token_beside_it(tmp_path):
    folder = configuration_folder(tmp_path, scrape_token=None)

    result = promtool("check", "config", str(folder / "prometheus.yml"))

    assert result.returncode != 0
    assert str(folder / "scrape-token") in result.stdout + result.stderr


@pytest.mark.finding(3)
def test_the_services_are_scraped_with_the_token_file_git_ignores():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    [services] = [job for job in config["scrape_configs"] if job["job_name"] == "expoops"]

    assert services["authorization"] == {"type": "Bearer", "credentials_file": "scrape-token"}
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "deploy/prometheus/scrape-token"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.returncode == 0, "git would commit deploy/prometheus/scrape-token"


@needs_promtool
def test_the_alert_rules_are_valid():
    result = promtool("check", "rules", str(ALERT_RULES.relative_to(ROOT)))

    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_every_alert_fires_and_stays_quiet_as_its_unit_tests_expect():
    assert RULE_TESTS, "deploy/prometheus/tests/ has no rule tests"

    result = promtool("test", "rules", *(str(f.relative_to(ROOT)) for f in RULE_TESTS))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS), result.stdout


def test_every_alert_has_a_test_where_it_fires_and_one_where_it_stays_quiet():
    fires: set[str] = set()
    quiet: set[str] = set()
    for file in RULE_TESTS:
        for case in yaml.safe_load(file.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = {rule["alert"] for rule in alert_rules() if "alert" in rule}

    assert alerts - fires == set(), "alerts never seen firing in a test"
    assert alerts - quiet == set(), "alerts never seen staying quiet in a test"


def test_every_alert_tells_the_on_call_person_what_happened_and_what_to_do():
    for rule in alert_rules():
        name = rule.get("alert")
        if name is None:
            continue
        annotations = rule.get("annotations", {})
        assert len(annotations.get("summary", "")) > 10, f"{name} has no summary"
        assert len(annotations.get("description", "")) > 80, f"{name}: say what to do"
        assert rule["labels"].get("severity") in {"critical", "warning"}, name
        assert rule["labels"].get("team") in {"ops", "coordination"}, name


def test_the_required_alerts_exist():
    alerts = {rule.get("alert") for rule in alert_rules()}

    assert {
        "ServiceDown",
        "NatsDisconnected",
        "OutboxBacklogGrowing",
        "ConsumerLagging",
        "DeadLetters",
        "WrittenReportMissing",
        "TasksOverdue",
    } <= alerts
