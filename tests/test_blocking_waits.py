"""The one interruptible wait (blocking::wait_interruptible) on each of its paths, on
Python's main thread (where pytest runs tests): socket recv and send wait on the
socket's fds, context calls and blocking dials on an aio. Ctrl+C itself:
test_beyond_pynng.py::test_ctrl_c_interrupts_a_blocking_call."""

from __future__ import annotations

import threading

import pytest

import nngbridge
from nngbridge import _nng


def test_main_thread_recv_times_out_with_the_tables_error() -> None:
    with nngbridge.Pull0(recv_timeout=20) as pull, pytest.raises(nngbridge.Timeout) as e:
        pull.recv()
    assert e.value.errno == _nng.ERRORS["Timeout"]


def test_main_thread_send_times_out_without_a_peer() -> None:
    with nngbridge.Push0(send_timeout=20) as push, pytest.raises(nngbridge.Timeout):
        push.send(b"nobody listens")


def test_main_thread_recv_gets_a_message_sent_while_it_waits() -> None:
    with nngbridge.Pull0(listen="inproc://wait-recv", recv_timeout=5000) as pull, \
            nngbridge.Push0(dial="inproc://wait-recv") as push:
        t = threading.Thread(target=push.send, args=(b"late",))
        t.start()
        assert pull.recv() == b"late"
        t.join()


def test_main_thread_send_waits_for_a_peer_then_delivers() -> None:
    with nngbridge.Push0(send_timeout=5000) as push, nngbridge.Pull0(recv_timeout=5000) as pull:
        push.listen("inproc://wait-send")
        got: list[bytes] = []
        t = threading.Thread(target=lambda: (pull.dial("inproc://wait-send"),
                                             got.append(pull.recv())))
        t.start()
        push.send(b"once connected")
        t.join()
        assert got == [b"once connected"]


def test_context_calls_wait_on_an_aio() -> None:
    with nngbridge.Rep0(listen="inproc://wait-ctx") as rep, \
            nngbridge.Req0(dial="inproc://wait-ctx") as req:
        rctx, qctx = rep.new_context(), req.new_context()
        rctx.recv_timeout = 20
        with pytest.raises(nngbridge.Timeout):
            rctx.recv()
        rctx.recv_timeout = 5000
        qctx.send(b"ask")
        assert rctx.recv() == b"ask"
        rctx.send(b"answer")
        assert qctx.recv() == b"answer"


def test_blocking_dial_to_a_refused_address_fails_cleanly() -> None:
    with nngbridge.Pull0() as pull, pytest.raises(nngbridge.ConnectionRefused):
        pull.dial("inproc://nobody-listens-here", block=True)
    assert pull.dialers == ()
