"""`expo run` trusts only its own service processes."""

import base64
import json
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


def test_the_demo_variables_are_the_owners_only_and_their_tokens_expire(tmp_path):
    from shared.auth import verify_token
    from shared.launcher import DEMO_TOKEN_DAYS, demo_tokens, write_shell_variables
    from shared.settings import Settings

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
