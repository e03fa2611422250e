"""`reconciler webhook serve` as a child process, as it runs in production."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import stripe

from reconciler.sandbox import SANDBOX_API_KEY, RunningSandbox

from .world import cli, on


@dataclass
class ReceiverProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def start_receiver(folder: Path, *, name: str, api_base: str, journal: str, port: int = 0,
                   secret_file: Path, hooks: Path, env: Mapping[str, str] | None = None,
                   options: tuple[str, ...] = ()) -> ReceiverProcess:  # fmt: skip
    """Start a receiver (`env` added to a clean environment) and wait (bounded) for the line saying where it listens."""
    log = folder / f"{name}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")} | dict(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "webhook", "serve", "--port", str(port), "--journal", journal,
         "--secret-file", str(secret_file), "--hooks", str(hooks), "--api-key", SANDBOX_API_KEY,
         "--api-base", api_base, *options],
        stdout=subprocess.PIPE, stderr=open(log, "wb"), cwd=folder, env=environment,
    )  # fmt: skip
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    line = b""
    while not line.endswith(b"\n"):
        if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            process.kill()
            raise AssertionError(f"receiver {name} did not start: {log.read_text()}")
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            raise AssertionError(f"receiver {name} exited: {log.read_text()}")
        line += chunk
    text = line.decode()
    assert text.startswith("listening on http://"), text
    return ReceiverProcess(process, text.split()[2], log)


def registered_receiver(folder: Path, sandbox: RunningSandbox, client: stripe.StripeClient, *, journal: str,
                        name: str, env: Mapping[str, str] | None = None,
                        options: tuple[str, ...] = ()) -> ReceiverProcess:  # fmt: skip
    """Register the endpoint (its secret to folder/secret), start a receiver, point the endpoint at it."""
    registered = cli("webhook", "register", "--url", "http://127.0.0.1:9/placeholder", "--secret-file",
                     str(folder / "secret"), "--hooks", str(folder / "hooks.yaml"), *on(sandbox))  # fmt: skip
    assert registered.exit_code == 0, registered.output
    receiver = start_receiver(folder, name=name, api_base=sandbox.url, journal=journal,
                              secret_file=folder / "secret", hooks=folder / "hooks.yaml", env=env,
                              options=options)  # fmt: skip
    (endpoint,) = client.v1.webhook_endpoints.list().data
    client.v1.webhook_endpoints.update(endpoint.id, {"url": receiver.url + "/webhook"})
    return receiver
