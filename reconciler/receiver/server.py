"""The receiver assembled and served by uvicorn.

uvicorn is the HTTP server: a production ASGI server (HTTP/1.1 keep-alive,
httptools parsing, uvloop, graceful shutdown on SIGTERM/SIGINT, proxy headers)
that needs no framework under it. Startup order: journal connections, hook
runner and journal writer, then the socket; shutdown in reverse, letting
running hooks finish within the grace period.

SIGTERM (how systemd, Docker and Kubernetes stop a service) and SIGINT stop it
the same way, and the process exits 0: a stop asked for is the normal end of a
server. uvicorn would re-raise the signal once it has shut down, which for
SIGTERM kills the process (exit 143) before the hooks have finished; so the
signals are caught here for the whole shutdown, and a second one cuts the
grace period short.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType

import uvicorn

from reconciler.receiver.app import WebhookApp
from reconciler.receiver.hooks import HookSet
from reconciler.receiver.journal import open_journal
from reconciler.receiver.runner import HookRunner, InvoiceSource
from reconciler.receiver.secrets import SecretSource
from reconciler.receiver.writer import JournalWriter

log = logging.getLogger(__name__)

DEFAULT_PORT = 8787
# Seconds running hooks get to finish once a stop is asked for: below Kubernetes' default
# 30 s between SIGTERM and SIGKILL (Docker's `stop` waits 10 s: pass `-t` or a smaller --grace).
DEFAULT_GRACE = 25
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class Receiver:
    """The background parts and the ASGI app in front of them."""

    app: WebhookApp
    writer: JournalWriter
    runner: HookRunner
    journal_target: str

    def start(self) -> None:
        self.runner.start()
        self.writer.start()

    def stop(self, *, grace: float | None = None) -> None:
        self.writer.stop()
        self.runner.stop(grace=grace)
        self.writer.journal.close()
        self.runner.journal.close()


def build_receiver(
    *,
    secrets: SecretSource,
    hooks: HookSet,
    journal_target: str,
    invoices: InvoiceSource,
    clock: Callable[[], float] = time.time,
    concurrency: int = 4,
) -> Receiver:
    """Open the journal twice (writer and runner each hold a connection) and wire the parts."""
    runner_journal = open_journal(journal_target)
    runner = HookRunner(runner_journal, hooks, invoices, clock=clock, concurrency=concurrency)
    writer = JournalWriter(open_journal(journal_target), hooks, clock=clock, on_commit=runner.notify)
    app = WebhookApp(secrets=secrets, submit=writer.submit, clock=clock)
    return Receiver(app, writer, runner, runner_journal.target)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _Uvicorn(uvicorn.Server):
    """uvicorn, with the stop signals left to ReceiverServer (no re-raise after the shutdown)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ReceiverServer:
    """uvicorn serving a Receiver on a bound socket: in this thread (`serve`) or another (`start`)."""

    def __init__(self, receiver: Receiver, sock: socket.socket, *, forwarded_allow_ips: str = "127.0.0.1",
                 grace: float = DEFAULT_GRACE) -> None:  # fmt: skip
        self.receiver = receiver
        self.socket = sock
        self.grace = grace
        host, port = sock.getsockname()[:2]
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
        config = uvicorn.Config(
            receiver.app, lifespan="off", access_log=False, log_config=None, server_header=False,
            proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips, timeout_keep_alive=75,
            timeout_graceful_shutdown=max(1, int(grace)), backlog=2048,
        )  # fmt: skip
        self.server = _Uvicorn(config)
        self._thread: threading.Thread | None = None

    def serve(self) -> None:
        """Serve until SIGTERM/SIGINT (or stop()), let running hooks finish within the grace period, return."""
        with self._stop_signals():
            self.receiver.start()
            try:
                self.server.run(sockets=[self.socket])
            finally:
                self.socket.close()
                self.receiver.stop(grace=self.grace)

    @contextlib.contextmanager
    def _stop_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # a server in a thread (tests) is stopped by stop()
            return

        def on_signal(number: int, frame: FrameType | None) -> None:
            name = signal.Signals(number).name
            if self.server.should_exit:
                log.warning("%s again: not waiting any longer for running hooks", name)
                self.receiver.runner.hurry()
                return
            log.warning("%s: no new connections; running hooks get up to %ss to finish", name, f"{self.grace:g}")
            self.server.should_exit = True

        previous = {number: signal.signal(number, on_signal) for number in _STOP_SIGNALS}
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def start(self) -> ReceiverServer:
        """Serve from a background thread; returns once it accepts connections."""
        self._thread = threading.Thread(target=self.serve, name="receiver-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the receiver did not start")
            time.sleep(0.005)  # startup takes milliseconds; uvicorn sets `started` without notifying
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> ReceiverServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
