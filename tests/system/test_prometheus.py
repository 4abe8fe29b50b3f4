"""A real Prometheus over a stack started as `expo run` starts it: it scrapes every service with
the relabelling and the token file of deploy/prometheus/prometheus.yml, loads
deploy/prometheus/alerts.yml, sees a unit registered over HTTP in reporting's figures, and
answers every dashboard query. A scrape without the token is refused, and a token written over
the file is used from the next scrape on."""

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from shared.launcher import installed_services
from shared.natsserver import free_port
from shared.settings import REPO_ROOT, Settings
from tests.deploy.promql import ALERT_RULES, alert_rules, dashboard_queries, with_grafana_variables
from tests.support import eventually, token, unit_body
from tests.system.test_stack_run import READY_TIMEOUT, ExpoRun, bearer, user_env

# One worker runs the system tests, one after another: they start whole stacks.
# Its own group, beside the other system tests: its stack takes free ports (EXPO_PORT_BASE=0),
# so it never holds the usual ones that test_stack_run checks are released.
pytestmark = [pytest.mark.system, pytest.mark.xdist_group("prometheus")]

PROMETHEUS = shutil.which("prometheus")
PRODUCTION_CONFIG = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
SCRAPE_INTERVAL = "1s"  # seconds, not the production 15s: the test waits on scrapes
START_TIMEOUT = 30.0
WITHOUT_TOKEN = "expoops-without-token"


def local_config(service_ports: dict[str, int], own_port: int) -> dict:
    """deploy/prometheus/prometheus.yml for this machine: its services job as it is (targets
    `<service>:<port>` keep the relabelling that names `service`; the token is read from
    `scrape-token` beside the configuration, as in compose), then one rule more that sends the
    scrape to 127.0.0.1, where `expo run` serves every service. And the same targets scraped
    without a token, as a Prometheus whose operator wrote none would."""
    config = yaml.safe_load(PRODUCTION_CONFIG.read_text())
    [services_job] = [job for job in config["scrape_configs"] if job["job_name"] == "expoops"]
    assert services_job["authorization"]["credentials_file"] == "scrape-token"
    services_job["static_configs"] = [
        {"targets": [f"{service}:{port}" for service, port in service_ports.items()]}
    ]
    services_job["relabel_configs"].append(
        {
            "source_labels": ["__address__"],
            "regex": r"[^:]+:(\d+)",
            "target_label": "__address__",
            "replacement": "127.0.0.1:$1",
        }
    )
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "rule_files": [str(ALERT_RULES)],
        "scrape_configs": [
            services_job,
            {
                "job_name": WITHOUT_TOKEN,
                "static_configs": [
                    {"targets": [f"127.0.0.1:{port}" for port in service_ports.values()]}
                ],
            },
            {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{own_port}"]}]},
        ],
    }


@pytest.fixture
def stack(tmp_path):
    run = ExpoRun(user_env(tmp_path / "expo") | {"EXPO_PORT_BASE": "0"}, new_session=True)
    try:
        run.wait_ready(READY_TIMEOUT)
        yield run
    finally:
        run.stop()


@pytest.fixture
def prometheus(stack, tmp_path):
    """The URL of a Prometheus scraping the stack; its log is prometheus.log beside it."""
    if PROMETHEUS is None:
        pytest.skip("no prometheus binary (Debian/Ubuntu: apt-get install prometheus)")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    ports = {service: port for service, (_url, port) in stack.services.items()}
    config.write_text(yaml.safe_dump(local_config(ports, port)))
    # As the operator writes it (deploy/README.md): an ops token, alone, beside the config.
    (tmp_path / "scrape-token").write_text(stack.tokens["ops"] + "\n")
    with (tmp_path / "prometheus.log").open("w") as log:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, tmp_path / "prometheus.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"Prometheus did not start:\n{log.read_text()[-3000:]}")


async def instant(http: httpx.AsyncClient, prometheus: str, query: str) -> list[dict]:
    answer = await http.get(f"{prometheus}/api/v1/query", params={"query": query})
    body = answer.json()
    assert body["status"] == "success", f"{query}: {body.get('error')}"
    return body["data"]["result"]


def values(result: list[dict], label: str) -> dict[str, float]:
    return {series["metric"].get(label, ""): float(series["value"][1]) for series in result}


async def scrape_errors(http: httpx.AsyncClient, prometheus: str, job: str) -> list[str]:
    """The last error of each target of `job` that was scraped at least once ("" if up)."""
    answer = (await http.get(f"{prometheus}/api/v1/targets")).json()
    return [
        target["lastError"]
        for target in answer["data"]["activeTargets"]
        if target["labels"]["job"] == job and target["health"] != "unknown"
    ]


async def every_scrape_fails_with(
    http: httpx.AsyncClient, prometheus: str, job: str, status: str, count: int
) -> bool:
    errors = await scrape_errors(http, prometheus, job)
    return len(errors) == count and all(status in error for error in errors)


@pytest.mark.finding(3)
async def test_prometheus_sees_the_stack_as_the_dashboards_and_alerts_read_it(
    stack, prometheus, tmp_path
):
    services = installed_services()
    registration_url, _port = stack.services["registration"]
    counties = sorted(Settings().edition.county_codes)
    async with httpx.AsyncClient(timeout=10) as http:

        async def every_service_up() -> bool:
            up = values(await instant(http, prometheus, 'up{job="expoops"}'), "service")
            return up == dict.fromkeys(services, 1.0)

        await eventually(every_service_up, timeout=30, what="every service scraped, by name")

        created = await http.post(
            f"{registration_url}/api/v1/units",
            json=unit_body("kongtong"),
            headers=bearer(stack.tokens["county:kongtong"]),
        )
        assert created.status_code == 201, created.text

        async def reporting_counts_it() -> bool:
            query = 'expo_units_registered{service="reporting", county="kongtong"}'
            return values(await instant(http, prometheus, query), "county") == {"kongtong": 1.0}

        await eventually(reporting_counts_it, timeout=30, what="the unit in reporting's figures")

        async def registration_counted_the_request() -> bool:
            query = 'expo_http_requests_total{service="registration", route="/api/v1/units"}'
            return values(await instant(http, prometheus, query), "status") == {"201": 1.0}

        await eventually(registration_counted_the_request, timeout=10, what="POST counted")

        # The business panels select reporting: one series per county, not one per service.
        readiness = await instant(
            http, prometheus, 'max by (county) (expo_readiness_score{service="reporting"})'
        )
        assert sorted(values(readiness, "county")) == counties

        for query in dashboard_queries():
            await instant(http, prometheus, with_grafana_variables(query.expr))

        async def every_rule_evaluated() -> bool:
            answer = (await http.get(f"{prometheus}/api/v1/rules")).json()
            rules = [rule for group in answer["data"]["groups"] for rule in group["rules"]]
            return len(rules) == len(alert_rules()) and all(r["health"] != "unknown" for r in rules)

        await eventually(every_rule_evaluated, timeout=15, what="every alert rule evaluated")
        answer = (await http.get(f"{prometheus}/api/v1/rules")).json()
        broken = {
            rule["name"]: rule.get("lastError")
            for group in answer["data"]["groups"]
            for rule in group["rules"]
            if rule["health"] != "ok"
        }
        assert broken == {}
        loaded = {rule["name"] for group in answer["data"]["groups"] for rule in group["rules"]}
        assert loaded == {rule["alert"] for rule in alert_rules()}

        # The same targets without the token: every scrape refused, the target down with 401.
        async def refused_without_the_token() -> bool:
            return await every_scrape_fails_with(
                http, prometheus, WITHOUT_TOKEN, "401", len(services)
            )

        await eventually(refused_without_the_token, timeout=15, what="401 without the token")

        # The file is read at every scrape: a county's token written over it is refused (403),
        # and a renewed ops token is used from the next scrape on, with no restart.
        scrape_token = tmp_path / "scrape-token"
        scrape_token.write_text(stack.tokens["county:kongtong"] + "\n")

        async def refused_to_a_county() -> bool:
            return await every_scrape_fails_with(http, prometheus, "expoops", "403", len(services))

        await eventually(refused_to_a_county, timeout=15, what="403 with a county's token")
        renewed = token("ops", "prometheus")["Authorization"].removeprefix("Bearer ")
        scrape_token.write_text(renewed + "\n")
        await eventually(every_service_up, timeout=15, what="every service up with the new token")
