"""Starting a child process that a stop request cannot orphan.

The launcher turns Ctrl-C and `kill` into KeyboardInterrupt, which can strike anywhere: also
inside `subprocess.Popen`, after the child was started but before Popen returned it. Nobody
then knows the child, and nobody stops it (a nats-server left running after `expo run`
stopped). Inside `deferred_interrupts()` such a signal is noted, and acted on when the block
ends: by then the child is known to whoever stops the others.
"""

import contextlib
import signal
import threading
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers run in the main thread only: nothing to defer here
        return
    received: list[signal.Signals] = []
    previous = {
        s: signal.signal(s, lambda signum, _frame: received.append(signal.Signals(signum)))
        for s in STOP_SIGNALS
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received and callable(handler := previous[received[0]]):
            handler(received[0], None)  # e.g. default_int_handler: KeyboardInterrupt, now
