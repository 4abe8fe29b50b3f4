"""`expo run` trusts only its own service processes."""

import base64
import json
import re
import stat
import subprocess
import sys
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.launcher import ServiceExited, wait_healthy
from tests.support import TEST_SECRET


class _Impostor(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"status": "ok", "service": "registration", "pid": 1}).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


def test_a_healthz_answered_by_another_process_on_the_port_is_not_ours():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(TimeoutError):
            wait_healthy(f"http://127.0.0.1:{server.server_address[1]}", child, timeout=1.5)
    finally:
        child.kill()
        server.shutdown()


def test_a_service_that_exits_is_reported_at_once():
    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    child.wait()
    with pytest.raises(ServiceExited, match="code 3"):
        wait_healthy("http://127.0.0.1:9", child, timeout=5)


@pytest.mark.finding(17)
def test_the_demo_variables_are_the_owners_only_and_their_tokens_expire(tmp_path):
    from shared.auth import verify_token
    from shared.launcher import DEMO_TOKEN_DAYS, demo_tokens
    from shared.settings import Settings
    from shared.stack_files import write_shell_variables

    settings = Settings(env="test", auth_secret=TEST_SECRET)
    path = tmp_path / "demo.env"
    path.write_text("left by an earlier run")
    path.chmod(0o644)
    tokens = demo_tokens(settings)
    write_shell_variables(path, "nats://127.0.0.1:4222", {}, tokens, date(2020, 7, 27))

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "TOKEN_COMMITTEE=" in path.read_text()
    for token in tokens.values():
        verify_token(TEST_SECRET, token)  # valid now
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        assert claims["exp"] - claims["iat"] == DEMO_TOKEN_DAYS * 86400


@pytest.mark.finding(15)
def test_the_stacks_secrets_are_made_once_readable_by_their_owner_and_kept(tmp_path):
    from shared.settings import Settings
    from shared.stack_files import read_variables, stack_secrets

    path = tmp_path / "secrets.env"
    names = ["REGISTRATION_NATS_PASSWORD", "EXPO_AUTH_SECRET"]
    made = stack_secrets(tmp_path, names)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_variables(path) == made and set(made) == set(names)
    # nats-server reads a value that starts with a digit as a number; URLs need it plain.
    assert re.fullmatch(r"[a-z][0-9a-f]{48}", made["REGISTRATION_NATS_PASSWORD"])
    Settings(auth_secret=made["EXPO_AUTH_SECRET"])  # a secret the services accept

    path.chmod(0o644)  # loosened by hand since
    assert stack_secrets(tmp_path, names) == made  # the next run: the same ones
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    more = stack_secrets(tmp_path, [*names, "OPERATOR_NATS_PASSWORD"])  # a user added later
    assert more == made | {"OPERATOR_NATS_PASSWORD": more["OPERATOR_NATS_PASSWORD"]}
    assert read_variables(path) == more
    assert not list(tmp_path.glob("*.partial"))


def test_nothing_is_written_when_no_secret_is_wanted(tmp_path):
    from shared.stack_files import stack_secrets

    assert stack_secrets(tmp_path, []) == {}
    assert not (tmp_path / "secrets.env").exists()


def test_the_nats_passwords_are_those_nats_conf_reads():
    from shared.natsserver import NATS_CONF, password_variables

    users = password_variables()
    assert users == {user: f"{user.upper()}_NATS_PASSWORD" for user in users}
    assert {"registration", "reporting", "integrator", "operator"} <= set(users)
    for variable in users.values():
        assert f"${variable}" in NATS_CONF.read_text()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("nats://127.0.0.1:4222", "nats://127.0.0.1:4222"),
        ("nats://operator:s3cr3t@nats.example:4222", "nats://nats.example:4222"),
        ("nats://a-token@h1:4222,tls://u:p@h2:4222", "nats://h1:4222,tls://h2:4222"),
    ],
)
@pytest.mark.finding(15)
def test_a_printed_nats_url_shows_no_credentials(url, shown):
    from shared.stack_files import without_credentials

    assert without_credentials(url) == shown


def test_the_operator_variables_are_the_owners_only_and_name_this_stack(tmp_path):
    from shared.settings import Settings
    from shared.stack_files import write_operator_variables

    settings = Settings(env="test", auth_secret=TEST_SECRET)
    path = tmp_path / "operator.env"
    path.write_text("left by an earlier run")
    path.chmod(0o644)
    url = "nats://operator:s0123@127.0.0.1:4222"
    write_operator_variables(path, settings, url)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sourced = subprocess.run(
        ["bash", "-c", f'. "{path}" && printf "%s\\n" "$EXPO_AUTH_SECRET" "$EXPO_NATS_URL"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sourced.stdout.splitlines() == [TEST_SECRET, url]
