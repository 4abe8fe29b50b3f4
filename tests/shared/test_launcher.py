"""`expo run` trusts only its own service processes."""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.launcher import ServiceExited, wait_healthy


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
