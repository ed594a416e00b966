"""One end of a wire-interop test, run in its own process (NNG is not fork-safe).

usage: python interop_peer.py MODULE ROLE listen|dial URL
ROLE: rep | req | pub | sub | push | pull

Protocol with the parent, one line each on stdout / stdin:
  READY                 after listen/dial succeeded
  GOT <hex>             each message received (sub, pull)
  OK / DONE             the role finished (req: all replies right; sub/pull: saw END)
  FAIL <reason>         something was wrong
stdin: GO (pub: stop probing, send the sequence), BYE (pub, push, rep: close and exit).
Messages: req sends q0..q19 then END; rep answers re:<request> and bye to END.
pub sends "keep probe" every 20 ms until GO, then SEQUENCE; push sends SEQUENCE.
"""

import importlib
import sys
import threading

SEQUENCE = [b"keep 1", b"drop 1", b"also 2", b"kee", b"keep 3", b"END"]
TOPICS = ["keep", b"also", b"END"]  # str and bytes topics
REQUESTS = 20


def say(*words):
    print(*words, flush=True)


def stdin_lines():
    """Signal an Event per expected line read from stdin."""
    events = {"GO": threading.Event(), "BYE": threading.Event()}

    def read():
        for line in sys.stdin:
            word = line.strip()
            if word in events:
                events[word].set()
        for e in events.values():  # EOF: let everything finish
            e.set()

    threading.Thread(target=read, daemon=True).start()
    return events


def main():
    modname, role, how, url = sys.argv[1:5]
    nng = importlib.import_module(modname)
    cls = {"rep": nng.Rep0, "req": nng.Req0, "pub": nng.Pub0, "sub": nng.Sub0,
           "push": nng.Push0, "pull": nng.Pull0}[role]
    kwargs = {"topics": TOPICS} if role == "sub" else {}
    with cls(recv_timeout=20_000, send_timeout=20_000, **kwargs) as s:
        if how == "listen":
            s.listen(url)
        else:
            s.dial(url, block=True)
        events = stdin_lines()
        say("READY")
        if role == "rep":
            while True:
                m = s.recv()
                if m == b"END":
                    s.send(b"bye")
                    break
                s.send(b"re:" + m)
            say("DONE")
            # NNG does not flush on close: "bye" could die with the socket. Keep it open
            # until the parent has read it and hangs up (BYE or EOF).
            events["BYE"].wait(20)
        elif role == "req":
            for i in range(REQUESTS):
                s.send(b"q%d" % i)
                reply = s.recv()
                if reply != b"re:q%d" % i:
                    say("FAIL", reply.hex())
                    return
            s.send(b"END")
            say("OK" if s.recv() == b"bye" else "FAIL bye")
        elif role in ("sub", "pull"):
            while True:
                m = s.recv()
                say("GOT", m.hex())
                if m == b"END":
                    break
            say("DONE")
        elif role == "pub":
            while not events["GO"].wait(0.02):
                s.send(b"keep probe")
            for m in SEQUENCE:
                s.send(m)
            events["BYE"].wait(20)
        elif role == "push":
            for m in SEQUENCE:
                s.send(m)
            events["BYE"].wait(20)


if __name__ == "__main__":
    main()
