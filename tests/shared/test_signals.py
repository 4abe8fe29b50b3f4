"""A stop request that arrives while a child process is being started is acted on once the
child is known, so that whoever stops the others stops it too."""

import os
import signal

import pytest

from shared.signals import deferred_interrupts


@pytest.fixture
def ctrl_c_interrupts():
    """SIGINT raising KeyboardInterrupt, as in the launcher (a test worker may ignore it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_stop_request_inside_the_block_interrupts_when_the_block_ends(ctrl_c_interrupts):
    started = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            started.append("the child")  # reached: the request waited for the block's end
    assert started == ["the child"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_a_stop_request_the_block_changes_nothing(ctrl_c_interrupts):
    with deferred_interrupts():
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)


def test_an_ignored_signal_stays_ignored():
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with deferred_interrupts():
            os.kill(os.getpid(), signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)
