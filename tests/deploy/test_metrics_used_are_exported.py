"""Every metric a dashboard panel or an alert rule reads is one a running service exports,
and no two services export the same name.

A panel over a renamed or mistyped metric shows "No data" and an alert over one never fires,
and neither says why. Here the five services run in-process, a unit and a signing project go
through them (so the labelled business figures have samples), and each query's metrics are
looked up on /metrics of the service the query selects (`service="reporting"`), or of any
service when it selects none.
"""

from collections import defaultdict
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.launcher import installed_services
from shared.metrics import ServiceMetrics
from tests.deploy.promql import (
    Query,
    alert_queries,
    dashboard_queries,
    grouping_labels,
    selectors,
)
from tests.support import (
    eventually,
    metric,
    running_service,
    scrape,
    service_settings,
    token,
    unit_body,
)

pytestmark = pytest.mark.db

# Series Prometheus makes itself for every target, and the labels it adds at scrape time.
PROMETHEUS_OWN = {"up"}
PROMETHEUS_LABELS = {"service", "job", "instance"}
# How a query names a sample of a family of another type: counters are read as <name>_total,
# histograms as <name>_bucket, _sum and _count (summaries as _sum and _count).
SUFFIX_OF_TYPE = {
    "_total": {"counter"},
    "_bucket": {"histogram", "gaugehistogram"},
    "_count": {"histogram", "summary"},
    "_sum": {"histogram", "summary"},
}
# FastStream's message figures: about the service that exports them, like ServiceMetrics'.
PLATFORM_PREFIX = "faststream_"
COMMITTEE = token("committee", "committee-chair")
SIGNING_AMOUNT = 12_345_678


@dataclass(frozen=True)
class Family:
    type: str
    labels: frozenset[str]  # label names on its samples (none while it has no sample yet)
    has_samples: bool


def families(exposition: str) -> dict[str, Family]:
    return {
        family.name: Family(
            family.type,
            frozenset(label for sample in family.samples for label in sample.labels),
            bool(family.samples),
        )
        for family in text_string_to_metric_families(exposition)
    }


def family_read_by(metric_name: str, exported: dict[str, Family]) -> Family | None:
    direct = exported.get(metric_name)
    if direct is not None and direct.type not in {"counter", "histogram", "summary"}:
        return direct
    for suffix, types in SUFFIX_OF_TYPE.items():
        if metric_name.endswith(suffix):
            base = exported.get(metric_name.removesuffix(suffix))
            if base is not None and base.type in types:
                return base
    return None


def problems_with(query: Query, exported: dict[str, dict[str, Family]]) -> list[str]:
    """What is wrong with one query against what each service exports; empty when nothing."""
    problems = []
    read: list[Family] = []
    used = selectors(query.expr)
    if not used:
        problems.append(f"{query.where}: reads no metric: {query.expr}")
    for selector in used:
        if selector.metric in PROMETHEUS_OWN:
            continue
        selected = [s for s in exported if selector.selects_service(s)]
        found = [
            (service, family)
            for service in selected
            if (family := family_read_by(selector.metric, exported[service])) is not None
        ]
        if not found:
            whom = ", ".join(selected) if selector.names_a_service else "any service"
            problems.append(f"{query.where}: {selector.metric} is not exported by {whom}")
            continue
        read.extend(family for _service, family in found)
        matched = {m.label for m in selector.matchers} - PROMETHEUS_LABELS - {"__name__"}
        if not matched:
            continue
        # A matcher on a label the metric does not have selects nothing, silently.
        if not any(matched <= family.labels for _service, family in found):
            labels = sorted(set().union(*(family.labels for _s, family in found)))
            problems.append(
                f"{query.where}: {selector.metric} matched on {sorted(matched)}, "
                f"its samples have {labels}"
            )
    grouped = grouping_labels(query.expr) - PROMETHEUS_LABELS
    if read and all(family.has_samples for family in read):
        known = set().union(*(family.labels for family in read))
        if unknown := grouped - known:
            problems.append(f"{query.where}: groups by {sorted(unknown)}, which no series has")
    return problems


def platform_metrics() -> set[str]:
    """What every service exports from shared code, each about the service itself (its outbox,
    consumers, HTTP requests, database writers): one meaning everywhere, and Prometheus tells
    the services apart by the `service` label it adds."""
    return {family.name for family in ServiceMetrics("any").registry.collect()}


def exported_by_several(exported: dict[str, dict[str, Family]]) -> dict[str, list[str]]:
    """{name: the services exporting it}, for every name but the platform's that more than one
    service exports."""
    platform = platform_metrics()
    exporters: dict[str, set[str]] = defaultdict(set)
    for service, its_families in exported.items():
        for name in its_families:
            if name.endswith("_created") and name.removesuffix("_created") in its_families:
                continue  # a counter's or histogram's creation time, under its own family
            if name not in platform and not name.startswith(PLATFORM_PREFIX):
                exporters[name].add(service)
    return {name: sorted(s) for name, s in sorted(exporters.items()) if len(s) > 1}


async def drive_a_unit_and_a_signing_through(running) -> None:
    registration, signings, reporting = (
        running["registration"],
        running["signings"],
        running["reporting"],
    )
    unit = await registration.client.post(
        "/api/v1/units", json=unit_body("kongtong"), headers=COMMITTEE
    )
    assert unit.status_code == 201, unit.text
    project = await signings.client.post(
        "/api/v1/projects",
        json={
            "title": "苹果深加工技术转化",
            "county": "kongtong",
            "local_party": "静宁县果品公司",
            "partner_name": "西北农林科技大学",
            "partner_kind": "college",
            "kind": "technology_transfer",
            "sector": "agriculture",
            "amount_cny": SIGNING_AMOUNT,
        },
        headers=COMMITTEE,
    )
    assert project.status_code == 201, project.text

    async def reporting_heard_of_both() -> bool:
        text = await scrape(reporting)
        return (
            metric(text, "expo_units_registered", county="kongtong") == 1
            and metric(text, "expo_signings_amount_cny", county="kongtong", stage="proposed")
            == SIGNING_AMOUNT
        )

    await eventually(reporting_heard_of_both, timeout=20, what="reporting counts both")


@pytest.fixture
async def exported(nats_server, databases, tmp_path) -> dict[str, dict[str, Family]]:
    """{service: {family name: family}} as each running service exports them."""
    settings = service_settings(nats_server.url, var_dir=tmp_path)
    async with AsyncExitStack() as stack:
        running = {
            service: await stack.enter_async_context(running_service(service, settings))
            for service in installed_services()
        }
        await drive_a_unit_and_a_signing_through(running)
        return {service: families(await scrape(svc)) for service, svc in running.items()}


async def test_every_metric_the_dashboards_and_alerts_read_is_exported(exported):
    assert set(exported) >= {"registration", "exhibitions", "signings", "publicity", "reporting"}
    queries = dashboard_queries() + alert_queries()
    assert len(queries) > 20

    problems = [problem for query in queries for problem in problems_with(query, exported)]

    assert not problems, "\n".join(problems)


async def test_no_two_services_export_the_same_metric_name(exported):
    """A name means one thing: reporting's business figures are expo_<thing>, each service's
    own view of its data is expo_<service>_<thing>. Signings once exported its amounts as
    expo_signings_amount_cny, reporting's name, with other labels: `sum by (county)` over both
    counted every yuan twice."""
    assert exported["signings"] and exported["reporting"]
    assert exported_by_several(exported) == {}


def test_a_name_two_services_export_is_found_and_the_platform_metrics_are_not():
    gauge = Family("gauge", frozenset({"county", "stage"}), True)
    counter = Family("counter", frozenset({"consumer", "type", "outcome"}), True)
    created = Family("gauge", frozenset({"consumer", "type", "outcome"}), True)
    common = {
        "expo_outbox_backlog": Family("gauge", frozenset(), True),
        "expo_events_handled": counter,
        "expo_events_handled_created": created,
        "faststream_received_messages": counter,
    }
    exported = {
        "reporting": common | {"expo_signings_amount_cny": gauge, "expo_signings": gauge},
        "signings": common | {"expo_signings_amount_cny": gauge, "expo_signings_projects": gauge},
        "registration": common | {"expo_registration_units": gauge},
    }
    assert exported_by_several(exported) == {"expo_signings_amount_cny": ["reporting", "signings"]}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (
            "histogram_quantile(0.95, sum by (service, le) "
            '(rate(expo_http_request_duration_seconds_bucket{route!="unmatched"}[$__rate_interval])))',
            [("expo_http_request_duration_seconds_bucket", {"route"})],
        ),
        (
            'sum by (reporter) (expo_reports{service="reporting", standing=~"missing|late"}) > 0 '
            "and on (reporter) (expo_reports offset 1d) unless ignoring(x) group_left absent_thing",
            [
                ("expo_reports", {"service", "standing"}),
                ("expo_reports", set()),
                ("absent_thing", set()),
            ],
        ),
        (
            'count_values("le", foo{a="}{", b=`by (x)`}) or vector(1e3) + bar @ start() > bool 0x1F',
            [("foo", {"a", "b"}), ("bar", set())],
        ),
        ('{__name__="up", job="expoops"}', [("up", {"__name__", "job"})]),
        (
            "max without (instance) (a:recorded:rate5m[5m:30s] offset 1h30m)",
            [("a:recorded:rate5m", set())],
        ),
    ],
)
def test_the_metrics_of_a_query_are_told_from_functions_labels_and_literals(expr, expected):
    found = [(s.metric, {m.label for m in s.matchers}) for s in selectors(expr)]
    assert found == expected


def test_a_query_over_an_unknown_metric_or_label_is_reported():
    exported = {
        "reporting": {"expo_reports": Family("gauge", frozenset({"reporter", "standing"}), True)},
        "signings": {"expo_http_requests": Family("counter", frozenset({"status"}), True)},
    }

    def problems(expr: str) -> list[str]:
        return problems_with(Query("q", expr), exported)

    assert problems('expo_reports{service="reporting", standing="missing"}') == []
    assert problems("sum by (service) (rate(expo_http_requests_total[1m]))") == []
    assert problems('expo_reports{service="signings"}') == [
        "q: expo_reports is not exported by signings"
    ]
    assert problems("expo_http_requests") == [
        "q: expo_http_requests is not exported by any service"
    ]
    assert problems('expo_reports{county="kongtong"}') == [
        "q: expo_reports matched on ['county'], its samples have ['reporter', 'standing']"
    ]
    assert problems("max by (group) (expo_reports)") == [
        "q: groups by ['group'], which no series has"
    ]
