"""The PromQL queries of the dashboards and alert rules, and the metrics each one reads.

Not a PromQL parser: enough of the grammar to find the series selectors in the queries we
write (functions, aggregations, `by`/`on` label lists, strings, durations and numbers are
skipped), which is all the checks of the deployment files need.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
ALERT_RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"

# What Grafana puts in place of its variables before a query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}

KEYWORDS = {
    # aggregations
    *"sum min max avg group stddev stdvar count count_values bottomk topk quantile".split(),
    *"limitk limit_ratio".split(),
    # binary operators, vector matching and modifiers
    *"and or unless atan2 by without on ignoring group_left group_right offset bool".split(),
    "inf",
    "nan",
}
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
BRACKETS = re.compile(r"\[[^\]]*\]")
DURATION = re.compile(r"(?<![\w:.])(?:\d+(?:ms|[smhdwy]))+(?![\w:])")
NUMBER = re.compile(r"(?<![\w:.])(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)(?![\w:])")
IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
MATCHER = re.compile(r"([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*__string(\d+)__")


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def accepts(self, value: str) -> bool:
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        found = re.fullmatch(self.value, value) is not None
        return found if self.op == "=~" else not found


@dataclass(frozen=True)
class Selector:
    """One series selector of a query: `expo_reports{service="reporting", standing="missing"}`."""

    metric: str
    matchers: tuple[Matcher, ...]

    def selects_service(self, service: str) -> bool:
        return all(m.accepts(service) for m in self.matchers if m.label == "service")

    @property
    def names_a_service(self) -> bool:
        return any(m.label == "service" for m in self.matchers)


def with_grafana_variables(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def selectors(expr: str) -> list[Selector]:
    """Every series selector in `expr`, in order."""
    text = with_grafana_variables(expr)
    # Strings may hold anything (`}`, names, numbers): each becomes a placeholder first.
    strings: list[str] = []

    def keep_string(found: re.Match) -> str:
        strings.append(found.group(0))
        return f" __string{len(strings) - 1}__ "

    text = STRING.sub(keep_string, text)
    # Then each `{...}` becomes a placeholder, keeping the matchers it held.
    blocks: list[tuple[Matcher, ...]] = []

    def keep_block(found: re.Match) -> str:
        matchers = tuple(
            Matcher(label, op, _unquote(strings[int(n)]))
            for label, op, n in MATCHER.findall(found.group(0))
        )
        blocks.append(matchers)
        return f" __block{len(blocks) - 1}__ "

    text = re.sub(r"\{[^}]*\}", keep_block, text)
    text = re.sub(r"__string\d+__", " ", text)
    text = LABEL_LIST.sub(" ", text)
    text = BRACKETS.sub(" ", text)
    text = DURATION.sub(" ", text)
    text = NUMBER.sub(" ", text)

    found: list[Selector] = []
    tokens = list(IDENTIFIER.finditer(text))
    for index, token in enumerate(tokens):
        name = token.group(0)
        if name.startswith("__block"):
            preceding = tokens[index - 1] if index else None
            adjacent = preceding is not None and not text[preceding.end() : token.start()].strip()
            if not adjacent:  # a bare `{__name__="..."}` selector
                matchers = blocks[int(name.removeprefix("__block").rstrip("_"))]
                names = [m.value for m in matchers if m.label == "__name__" and m.op == "="]
                found.extend(Selector(n, matchers) for n in names)
            continue
        if name.lower() in KEYWORDS:
            continue
        rest = text[token.end() :].lstrip()
        if rest.startswith("("):  # a function call
            continue
        matchers: tuple[Matcher, ...] = ()
        block = re.match(r"__block(\d+)__", rest)
        if block:
            matchers = blocks[int(block.group(1))]
        found.append(Selector(name, matchers))
    return found


def _unquote(literal: str) -> str:
    if literal.startswith("`"):
        return literal[1:-1]
    return json.loads('"' + literal[1:-1].replace("\\" + literal[0], literal[0]) + '"')


def grouping_labels(expr: str) -> set[str]:
    """Label names an expression groups or matches on (`by (county)`, `on (service)`)."""
    text = re.sub(r"\{[^}]*\}", " ", STRING.sub(" ", expr))
    return {
        label.strip()
        for _keyword, labels in LABEL_LIST.findall(text)
        for label in labels.split(",")
        if label.strip()
    }


@dataclass(frozen=True)
class Query:
    where: str  # "expoops-system.json: Consumer lag" or "alerts.yml: ConsumerLagging"
    expr: str


def dashboard_queries() -> list[Query]:
    queries = []
    for file in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(file.read_text())["panels"]:
            for target in panel.get("targets", []):
                queries.append(Query(f"{file.name}: {panel['title']}", target["expr"]))
    return queries


def alert_rules() -> list[dict]:
    rules = yaml.safe_load(ALERT_RULES.read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def alert_queries() -> list[Query]:
    return [
        Query(f"alerts.yml: {rule.get('alert') or rule.get('record')}", rule["expr"])
        for rule in alert_rules()
    ]
