"""The pull loop survives a fetch deadline running out (nats-py raises the builtin
TimeoutError there, not nats.errors.TimeoutError) and goes on delivering."""

from types import SimpleNamespace

from faststream.nats.subscriber.usecases.stream_pull_subscriber import BatchPullStreamSubscriber

import shared.bus  # noqa: F401  (applies the fix under test)


async def test_a_builtin_timeout_from_fetch_does_not_kill_the_batch_pull_loop():
    delivered: list[list[str]] = []
    answers = [TimeoutError("deadline ran out"), ["event-1", "event-2"]]

    async def fetch(batch, timeout):  # noqa: ASYNC109 - the fetch signature
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def consume(messages):
        delivered.append(messages)
        loop.running = False

    loop = SimpleNamespace(
        subscription=SimpleNamespace(fetch=fetch),
        pull_sub=SimpleNamespace(batch_size=2, timeout=5.0),
        running=True,
        consume=consume,
    )
    await BatchPullStreamSubscriber._consume_pull(loop)
    assert delivered == [["event-1", "event-2"]]
