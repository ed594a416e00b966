"""One end of a TLS interop test (tests/test_tls_interop.py), in its own process.

usage: python tls_peer.py MODULE listen|dial URL CONFIG_JSON
CONFIG_JSON: TLSConfig's keyword arguments, with "mode" as "client" or "server" and
"auth_mode" as "none" | "optional" | "required"; {"mode": ..., "plain": true}: no TLS.

Lines on stdout:
  READY <port>      listening (the real port of tls+tcp://...:0) or dialed
  ERR <Exception>   listen/dial/recv failed, with the exception class's name
  GOT <hex>         the listener received a message (and answered re:<message>)
  CN <name> <verified>  the peer certificate's common name as this side sees it
  REPLY <hex>       the dialer sent "ping" and got this answer
stdin: BYE (or EOF) closes (ending a waiting recv) and exits.
"""

import importlib
import json
import os
import sys
import threading


def say(*words):
    print(*words, flush=True)


def main():
    modname, how, url, conf = sys.argv[1:5]
    nng = importlib.import_module(modname)
    kw = json.loads(conf)
    kw["mode"] = {"client": nng.TLSConfig.MODE_CLIENT,
                  "server": nng.TLSConfig.MODE_SERVER}[kw["mode"]]
    if "auth_mode" in kw:
        kw["auth_mode"] = getattr(nng.TLSConfig, "AUTH_MODE_" + kw["auth_mode"].upper())
    plain = kw.pop("plain", False)  # plain tcp:// against a TLS peer
    tls = None if plain else nng.TLSConfig(**kw)
    with nng.Pair0(recv_timeout=10_000, send_timeout=10_000) as s:
        if tls is not None:
            s.tls_config = tls
        bye = threading.Event()

        def hang_up():  # BYE or EOF: close, which also ends a recv still waiting
            sys.stdin.readline()
            bye.set()
            s.close()

        threading.Thread(target=hang_up, daemon=True).start()
        try:
            if how == "listen":
                listener = s.listen(url)
                # pynng's InAddr.port is in network byte order; str() is right.
                say("READY", str(listener.local_address).rsplit(":", 1)[1])
                msg = s.recv_msg()
                say("GOT", msg.bytes.hex())
                # Before replying: once answered, the other side may hang up, and a
                # closed pipe has no options left to read.
                report_peer(nng, msg.pipe)
                s.send(b"re:" + msg.bytes)
            else:
                s.dial(url, block=True)
                say("READY", 0)
                s.send(b"ping")
                say("REPLY", s.recv().hex())
        except nng.NNGException as e:
            if not bye.is_set():
                say("ERR", type(e).__name__)
        bye.wait()


def report_peer(nng, pipe):
    # pynng 0.9 has no Pipe attribute for these; its option helpers reach NNG's options.
    try:
        cn = nng.options._getopt_string(pipe, "tls-peer-cn")
        verified = nng.options._getopt_bool(pipe, "tls-verified")
        say("CN", cn, verified)
    except (nng.NNGException, RuntimeError) as e:  # pynng: RuntimeError for no certificate
        say("CN", "-", type(e).__name__)


if __name__ == "__main__":
    main()
    # Done and said so. pynng 0.9.0 can panic in NNG's teardown at interpreter exit
    # ("pthread_mutex_lock: Invalid argument" in nni_aio_stop, seen once in CI after a
    # TLS dial): leave without it, so the exit status tells about the work only.
    sys.stdout.flush()
    os._exit(0)
