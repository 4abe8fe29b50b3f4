"""A real HTTP receiver on loopback, standing in for a newsroom or a big-screen system."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from shared.webhooks import verify


class Receiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[dict] = []  # verified deliveries: headers and body
        self.rejected = 0  # requests whose signature did not verify
        self.failing = False  # answer 503 while True
        self.says_where = True  # answer {"url": ...}; else {} (the sender keeps its own reference)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if not verify(receiver.secret, headers, body):
                    receiver.rejected += 1
                    self._answer(401, {})
                elif receiver.failing:
                    self._answer(503, {"error": "down for maintenance"})
                else:
                    receiver.received.append({"headers": headers, "body": json.loads(body)})
                    where = f"https://screen.example/items/{headers['webhook-id']}"
                    self._answer(200, {"url": where} if receiver.says_where else {})

            def _answer(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()
