"""A three-node nats-server cluster on loopback, JetStream on every node, for each test."""

import asyncio
import os
import signal
import time

import nats
import pytest

from shared.nats_options import connection_options
from shared.natsserver import NatsCluster, NatsServer

# Streams and buckets with three copies, as a city's cluster keeps them.
REPLICAS = 3


@pytest.fixture
def nats_cluster(tmp_path):
    cluster = NatsCluster(tmp_path / "cluster", log_dir=tmp_path).start()
    yield cluster
    for node in cluster.nodes:
        if node.process and node.process.poll() is None:
            os.kill(node.process.pid, signal.SIGCONT)  # a node a test left stopped
    cluster.stop(kill=True)


async def jetstream_ready(url: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """Until the cluster has elected its JetStream leader (a few seconds after start)."""
    nc = await nats.connect(**connection_options(url))
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                await nc.jetstream().account_info()
                return
            except nats.errors.Error:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)  # "not ready" comes back at once: no busy loop
    finally:
        await nc.close()


def node_serving(cluster: NatsCluster, connected_url) -> NatsServer:
    """The node a client is connected to (nats-py's `connected_url`)."""
    [node] = [n for n in cluster.nodes if n.port == connected_url.port]
    return node
