"""The one-host deployment files agree with each other and with the services in the repository.

No Docker engine is needed: the files are parsed and cross-checked, so a service added under
services/ without its compose entry, scrape target, NATS user or database fails here, as does a
mounted file that was moved or a variable missing from .env.example. And the stack is closed by
default: no secret has a usable value in the repository, compose refuses to start without each
one, nothing but NATS's client port is published beyond this host, and the image runs as
production.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INFRASTRUCTURE = {"nats", "postgres", "prometheus", "grafana"}
# Published on every interface on purpose: integrators outside the host read the events there,
# each NATS user with its own password (docker-compose.yml says why).
PUBLIC_ON_PURPOSE = {("nats", 4222)}
# Variables compose may run without: an empty value has a meaning (127.0.0.1; no push channel).
OPTIONAL_VARIABLES = {
    "EXPO_AUTH_PREVIOUS_SECRET",  # only during a rotation of EXPO_AUTH_SECRET
    "EXPO_BIND_ADDRESS",
    "EXPO_CHANNEL_OUTDOOR_SCREEN_URL",
    "EXPO_CHANNEL_OUTDOOR_SCREEN_SECRET",
}
# Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error},
# ${VAR:+alternative}, ${VAR+alternative}; $$ is a literal $.
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
# Host ports people and tools already use; documented in deploy/README.md.
SERVICE_HOST_PORTS = {
    "registration": 8101,
    "exhibitions": 8102,
    "signings": 8103,
    "publicity": 8104,
    "reporting": 8105,
}


def service_directories() -> set[str]:
    """Every service in the repository: a directory under services/ with an app.py."""
    return {
        d.name
        for d in (ROOT / "services").iterdir()
        if d.is_dir() and not d.name.startswith(("_", ".")) and (d / "app.py").is_file()
    }


def interpolate(text: str, env: dict[str, str]) -> tuple[str, set[str]]:
    """`text` with its variables replaced as compose does, and the required variables (`?`)
    that are missing: compose refuses to start while there is one."""
    missing: set[str] = set()

    def value(found: re.Match) -> str:
        name, operator, argument = found.group(1), found.group(2) or "", found.group(3) or ""
        is_set = name in env if not operator.startswith(":") else bool(env.get(name))
        if operator.endswith("?") and not is_set:
            missing.add(name)
        if operator.endswith("-") and not is_set:
            return argument
        if operator.endswith("+"):
            return argument if is_set else ""
        return env.get(name, "")

    return REFERENCE.sub(value, text.replace("$$", "\0")).replace("\0", "$"), missing


@cache
def generated_secrets() -> dict[str, str]:
    """A value for every variable of .env.example, made by the command the file gives for it
    (the optional ones left empty)."""
    commands = dict(
        re.findall(
            r"^#\s+(EXPO_AUTH_SECRET|The passwords).*\n#\s+python3 -c \"(.+)\"$",
            (DEPLOY / ".env.example").read_text(),
            flags=re.M,
        )
    )
    assert set(commands) == {"EXPO_AUTH_SECRET", "The passwords"}, commands

    def run(code: str) -> str:
        made = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        return made.stdout.strip()

    return {
        name: ""
        if name in OPTIONAL_VARIABLES
        else run(commands.get(name, commands["The passwords"]))
        for name in env_example()
    }


@cache
def compose(bind_address: str = "") -> dict:
    """docker-compose.yml as compose reads it with a filled-in .env."""
    env = generated_secrets() | {"EXPO_BIND_ADDRESS": bind_address}
    text, missing = interpolate((ROOT / "docker-compose.yml").read_text(), env)
    assert not missing, f"compose would refuse to start: {sorted(missing)} empty"
    return yaml.safe_load(text)


def services() -> dict[str, dict]:
    return compose()["services"]


def built_services() -> dict[str, dict]:
    return {name: svc for name, svc in services().items() if "build" in svc}


def expected_app_services() -> set[str]:
    # Named explicitly too, so the check holds even before their code is in place.
    return service_directories() | {"registration", "reporting"}


def environment(svc: dict) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def published_ports(svc: dict) -> list[tuple[str, int, int]]:
    """(host address, host port, container port) of each published port, short or long syntax;
    the address is "0.0.0.0" where none is given: every interface."""
    published = []
    for entry in svc.get("ports", []):
        if isinstance(entry, dict):
            if entry.get("published") is not None:
                address = entry.get("host_ip") or "0.0.0.0"
                published.append((address, int(entry["published"]), int(entry["target"])))
            continue
        parts = str(entry).split("/")[0].split(":")
        if len(parts) >= 2:  # [ip:]host:container; a bare container port publishes nothing fixed
            address = ":".join(parts[:-2]).strip("[]") or "0.0.0.0"
            published.append((address, int(parts[-2]), int(parts[-1])))
    return published


def host_ports(svc: dict) -> list[tuple[int, int]]:
    """(host port, container port) of each published port."""
    return [(host, container) for _address, host, container in published_ports(svc)]


def bind_mounts(svc: dict) -> list[tuple[str, str]]:
    """(host path, container path) of each bind mount of a repository path."""
    mounts = []
    for entry in svc.get("volumes", []):
        if isinstance(entry, dict):
            if entry.get("type") == "bind":
                mounts.append((entry["source"], entry["target"]))
        elif str(entry).startswith("./"):
            source, target = str(entry).split(":")[:2]
            mounts.append((source, target))
    return mounts


def mounted_file(service: str, container_path: str) -> Path:
    """The repository file that compose mounts at container_path, or the test fails."""
    for source, target in bind_mounts(services()[service]):
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            return ROOT / source / Path(container_path).relative_to(target)
    pytest.fail(f"{service}: nothing is mounted at {container_path}")


def nats_conf() -> str:
    return (DEPLOY / "nats" / "nats.conf").read_text()


def nats_users() -> dict[str, tuple[str, str]]:
    """user -> (the environment variable holding its password, its permissions variable)."""
    found = re.findall(
        r"\{\s*user:\s*(\w+),\s*password:\s*\$(\w+),\s*permissions:\s*\$(\w+)", nats_conf()
    )
    return {user: (password, permissions) for user, password, permissions in found}


def nats_publish_allowed(permissions: str) -> list[str]:
    """The subjects a permissions block of nats.conf allows to publish."""
    block = re.search(
        rf"^\s*{permissions} = \{{\s*publish = \{{\s*allow = \[(.*?)\]", nats_conf(), re.M | re.S
    )
    assert block, f"nats.conf has no publish permissions {permissions}"
    return re.findall(r'"([^"]+)"', block.group(1))


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_every_service_of_the_repository_runs_in_compose_beside_the_infrastructure():
    missing = (INFRASTRUCTURE | expected_app_services()) - set(services())
    assert not missing, f"docker-compose.yml lacks {sorted(missing)}"


def test_every_compose_service_has_an_image_or_a_build():
    for name, svc in services().items():
        assert svc.get("image") or svc.get("build"), f"{name} has neither image nor build"


def test_the_services_share_one_image_built_from_the_dockerfile():
    built = built_services()
    assert set(built) == expected_app_services(), "only the app services are built here"
    builds = {json.dumps(svc["build"], sort_keys=True) for svc in built.values()}
    images = {svc.get("image") for svc in built.values()}
    assert len(builds) == 1, f"different build settings: {builds}"
    assert len(images) == 1 and None not in images, f"one image tag expected: {images}"
    build = next(iter(built.values()))["build"]
    context = ROOT / build["context"]
    assert (context / build["dockerfile"]).is_file()
    for name, svc in built.items():
        assert svc.get("command") == [name], (
            f"{name} must run its own service, not {svc.get('command')}"
        )


def test_every_file_the_dockerfile_copies_exists():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copies = re.findall(r"^COPY\s+(?:--\S+\s+)*(.+)$", dockerfile, flags=re.MULTILINE)
    assert copies
    for line in copies:
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"


def test_each_service_is_published_on_its_own_host_port():
    seen: dict[int, str] = {}
    for name, svc in services().items():
        for host, _ in host_ports(svc):
            assert host not in seen, f"{name} and {seen[host]} both publish host port {host}"
            seen[host] = name
    for name in built_services():
        assert host_ports(services()[name]), f"{name} publishes no port"
        for host, container in host_ports(services()[name]):
            assert container == 8000, f"{name} serves on 8000 in its container"
            if name in SERVICE_HOST_PORTS:
                assert host == SERVICE_HOST_PORTS[name], (
                    f"{name} belongs on host port {SERVICE_HOST_PORTS[name]}"
                )


def test_every_bind_mounted_path_exists_in_the_repository():
    mounts = [(name, source) for name, svc in services().items() for source, _ in bind_mounts(svc)]
    assert mounts, "the configuration files are mounted from the repository"
    for name, source in mounts:
        assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_prometheus_scrapes_every_service_and_loads_the_alert_rules():
    config_path = Path("/etc/prometheus/prometheus.yml")
    config = yaml.safe_load(mounted_file("prometheus", str(config_path)).read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for group in job.get("static_configs", [])
        for target in group["targets"]
    }
    for name in built_services():
        assert f"{name}:8000" in targets, f"Prometheus does not scrape {name}"
    for rule_file in config["rule_files"]:  # Prometheus reads a relative one next to its config
        rule_path = config_path.parent / rule_file
        rules = yaml.safe_load(mounted_file("prometheus", str(rule_path)).read_text())
        exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
        assert exprs and all(e.strip() for e in exprs)


def test_every_service_has_a_healthcheck_and_waits_for_healthy_dependencies():
    for name, svc in services().items():
        check = svc.get("healthcheck")
        assert check and not check.get("disable") and check.get("test"), (
            f"{name} has no healthcheck"
        )
        depends = svc.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {dep: {"condition": "service_started"} for dep in depends}
        for dep, how in depends.items():
            assert dep in services(), f"{name} depends on unknown {dep}"
            if how.get("condition") == "service_healthy":
                assert services()[dep].get("healthcheck"), f"{dep} cannot become healthy"
    for name, svc in built_services().items():
        assert "/healthz" in " ".join(svc["healthcheck"]["test"])
        for dep in ("nats", "postgres"):
            assert svc["depends_on"][dep]["condition"] == "service_healthy", (
                f"{name} must wait for {dep}"
            )


def test_the_grafana_dashboards_load_and_every_panel_queries_something():
    provisioning = "/etc/grafana/provisioning"
    sources = yaml.safe_load(
        mounted_file("grafana", f"{provisioning}/datasources/prometheus.yml").read_text()
    )
    source = sources["datasources"][0]
    assert source["url"] == "http://prometheus:9090"
    provider = yaml.safe_load(
        mounted_file("grafana", f"{provisioning}/dashboards/expoops.yml").read_text()
    )
    dashboards = mounted_file("grafana", provider["providers"][0]["options"]["path"])
    files = sorted(dashboards.glob("*.json"))
    assert {f.name for f in files} >= {"expoops-preparation.json", "expoops-system.json"}
    uids = [json.loads(file.read_text())["uid"] for file in files]
    assert len(set(uids)) == len(uids), f"two dashboards share a uid: {uids}"
    for file in files:
        panels = json.loads(file.read_text())["panels"]
        assert panels, f"{file.name} has no panels"
        ids = [panel["id"] for panel in panels]
        assert len(set(ids)) == len(ids), f"{file.name}: panel ids repeat"
        for panel in panels:
            title = f"{file.name}: {panel['title']}"
            exprs = [t.get("expr", "") for t in panel.get("targets", [])]
            assert exprs and all(e.strip() for e in exprs), f"{title} queries nothing"
            assert panel["datasource"]["uid"] == source["uid"], f"{title} names another data source"
            place = panel["gridPos"]
            assert place["x"] + place["w"] <= 24, f"{title} is wider than the dashboard"


def test_business_panels_read_reporting_only_so_nothing_is_counted_twice():
    # Reporting's projections repeat figures other services export in their own view
    # (signings' expo_signings_projects_amount_cny, reporting's expo_signings_amount_cny): the
    # business panels read reporting's, so a county's figures come from one place.
    board = json.loads((DEPLOY / "grafana" / "dashboards" / "expoops-preparation.json").read_text())
    for panel in board["panels"]:
        for target in panel["targets"]:
            for selector in re.findall(r"expo_\w+(?:\{[^}]*\})?", target["expr"]):
                assert 'service="reporting"' in selector, f"{panel['title']}: {selector}"


def test_nats_has_a_user_per_service_allowed_to_publish_only_its_own_events():
    users = nats_users()
    for name in expected_app_services() | set(SERVICE_HOST_PORTS):
        assert name in users, f"nats.conf has no user {name}"
        events = [s for s in nats_publish_allowed(users[name][1]) if s.startswith("expo.")]
        assert sorted(events) == sorted([f"expo.{name}.>", f"expo.dlq.{name}.>"]), events
    integrator = nats_publish_allowed(users["integrator"][1])
    assert not [s for s in integrator if s.startswith(("expo.", ">"))], "the integrator only reads"
    nats_env = environment(services()["nats"])
    for user, (variable, _) in users.items():
        assert variable in nats_env, f"compose does not pass {variable} (user {user}) to nats"


def test_each_service_connects_as_itself_to_its_own_database():
    init_sql = (DEPLOY / "postgres" / "init-databases.sql").read_text()
    created = set(re.findall(r"CREATE DATABASE (\w+)", init_sql))
    assert {f"expo_{name}" for name in expected_app_services()} <= created
    for name, svc in built_services().items():
        env = environment(svc)
        assert env["EXPO_NATS_URL"].startswith(f"nats://{name}:"), (
            f"{name} must use its own NATS user"
        )
        url = env[f"EXPO_{name.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://"), url
        assert url.endswith(f"@postgres:5432/expo_{name}"), url
        assert env["EXPO_ENV"] == "production"
        # The image copies deploy/editions/ to /app/deploy/editions/.
        edition = Path(env["EXPO_EDITION_FILE"]).relative_to("/app")
        assert (ROOT / edition).is_file(), f"{name} reads {edition}, which does not exist"


def test_env_example_defines_every_variable_compose_needs():
    text = (ROOT / "docker-compose.yml").read_text()
    needed = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    assert needed, "compose reads its secrets from the environment"
    missing = needed - set(env_example())
    assert not missing, f"deploy/.env.example lacks {sorted(missing)}"


@pytest.mark.finding(3)
def test_no_service_is_published_beyond_this_host_unless_configured():
    for name, svc in services().items():
        for address, host, _ in published_ports(svc):
            if (name, host) not in PUBLIC_ON_PURPOSE:
                assert address == "127.0.0.1", f"{name} publishes {host} on {address}"
    configured = compose(bind_address="0.0.0.0")["services"]
    opened = {
        name
        for name, svc in configured.items()
        for a, _, _ in published_ports(svc)
        if a == "0.0.0.0"
    } - {name for name, _ in PUBLIC_ON_PURPOSE}
    assert opened == set(built_services()) | {"grafana"}  # not Prometheus: it has no login


@pytest.mark.finding(2)
def test_env_example_holds_no_value_and_says_how_to_make_each_secret():
    values = env_example()
    assert {name: value for name, value in values.items() if value} == {}
    made = generated_secrets()
    assert Settings(env="production", auth_secret=made["EXPO_AUTH_SECRET"]).auth_secret
    passwords = [value for name, value in made.items() if name.endswith("_PASSWORD")]
    assert passwords and len(set(passwords)) == len(passwords)
    assert all(re.fullmatch(r"s[0-9a-f]{48}", value) for value in passwords)  # URL-safe


@pytest.mark.finding(2)
def test_compose_refuses_to_start_while_a_secret_is_empty():
    text = (ROOT / "docker-compose.yml").read_text()
    secrets = set(env_example()) - OPTIONAL_VARIABLES
    for name, operator, _ in REFERENCE.findall(text):
        if name in OPTIONAL_VARIABLES:
            assert operator == ":-", f"{name}: an optional variable has a default"
        else:
            assert operator == ":?", f"${{{name}}} must be ${{{name}:?...}}: empty is refused"
    assert interpolate(text, env_example())[1] == secrets
    assert interpolate(text, {})[1] == secrets
    for name in secrets:
        assert interpolate(text, generated_secrets() | {name: ""})[1] == {name}


@pytest.mark.finding(2)
def test_the_image_runs_as_production():
    dockerfile = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    settings = dict(
        pair.split("=", 1)
        for line in re.findall(r"^ENV\s+(.+)$", dockerfile, flags=re.M)
        for pair in line.split()
    )
    assert settings["EXPO_ENV"] == "production"


def test_files_from_the_repository_are_mounted_read_only():
    for name, svc in services().items():
        for entry in svc.get("volumes", []):
            if str(entry).startswith("./"):
                assert str(entry).endswith(":ro"), f"{name} may write to {entry}"


@pytest.mark.finding(3)
def test_prometheus_finds_its_scrape_token_where_the_operator_writes_it():
    config_path = Path("/etc/prometheus/prometheus.yml")
    config = yaml.safe_load(mounted_file("prometheus", str(config_path)).read_text())
    [services_job] = [job for job in config["scrape_configs"] if job["job_name"] == "expoops"]
    token = config_path.parent / services_job["authorization"]["credentials_file"]
    assert mounted_file("prometheus", str(token)) == DEPLOY / "prometheus" / "scrape-token"


def nats_server() -> str | None:
    beside_python = Path(sys.executable).parent / "nats-server"
    return str(beside_python) if beside_python.exists() else shutil.which("nats-server")


@pytest.mark.skipif(nats_server() is None, reason="no nats-server binary")
def test_nats_server_accepts_the_configuration_with_passwords_made_as_env_example_says():
    # The recipe makes the password shape nats-server accepts (a leading digit would be
    # parsed as a number), so its passwords are checked by the real parser.
    result = subprocess.run(
        [nats_server(), "-t", "-c", str(DEPLOY / "nats" / "nats.conf")],
        env={**os.environ, **generated_secrets()},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
