"""nats-server creates its ports file before it writes it: a start that reads it in between
must wait, not fail (seen as a JSONDecodeError in a test's set-up under load)."""

from shared.natsserver import NatsServer, _client_port


def test_an_empty_or_partly_written_ports_file_is_not_yet_a_port(tmp_path):
    ports_file = tmp_path / "nats-server_1.ports"
    assert _client_port(ports_file) is None  # not created yet
    ports_file.write_text("")
    assert _client_port(ports_file) is None  # created, not written
    ports_file.write_text('{"nats": ["nats://127.0.0.1:4')
    assert _client_port(ports_file) is None  # partly written
    ports_file.write_text('{"nats": ["nats://127.0.0.1:42123"], "monitoring": []}')
    assert _client_port(ports_file) == 42123


def test_a_started_server_reports_the_port_it_listens_on(tmp_path):
    server = NatsServer(tmp_path / "nats").start()
    try:
        assert server.port and server.url == f"nats://127.0.0.1:{server.port}"
        assert not list((tmp_path / "nats" / "ports").iterdir())  # read, then removed
    finally:
        server.stop()
