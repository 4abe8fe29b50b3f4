"""Small asyncio helpers the long-running loops share."""

import asyncio


def cancel_requested() -> bool:
    """Whether the current task was asked to stop.

    Python 3.11's asyncio.wait_for (used under nats-py's requests) can swallow a cancellation
    that arrives just as the awaited answer does; the request is still counted on the task,
    so loops that run until cancelled check this instead of `while True`.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
