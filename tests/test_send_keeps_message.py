"""A send that fails keeps its Message (pynng marks a Message sent only once the send
succeeded), so a program can send it again after ``TryAgain`` or ``Timeout`` (issue 10).
Runs against pynng too (``--impl pynng``), which is how the test was validated."""

from __future__ import annotations

import pytest
from conftest import wait_for


@pytest.mark.parametrize("how", ["nonblocking", "timeout"])
def test_a_failed_send_can_be_retried_with_the_same_message(nng, how):
    address = "inproc://send-keeps-message-" + how
    with nng.Push0(send_timeout=50) as push, nng.Pull0(recv_timeout=5000) as pull:
        msg = nng.Message(b"kept")
        with pytest.raises(nng.TryAgain if how == "nonblocking" else nng.Timeout):
            push.send_msg(msg, block=how != "nonblocking")
        push.listen(address)
        pull.dial(address)
        wait_for(lambda: len(push.pipes) == 1)
        # The pipe is listed before Push can use it: the retry may wait for it (50 ms
        # only proved the failure above).
        push.send_timeout = 30_000
        push.send_msg(msg)
        assert pull.recv() == b"kept"
        with pytest.raises(nng.MessageStateError):
            push.send_msg(msg)
