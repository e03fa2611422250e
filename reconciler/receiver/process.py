"""One hook command as a child process: event JSON on stdin, facts in the environment.

The command runs under `/bin/sh -c` from the hooks file's folder, in its own
process group (a timeout kills the whole group). On Linux the shell also gets
SIGKILL if the receiver dies, so a hook never keeps running unowned while a
restarted receiver runs it again.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.receiver.controls import escape

log = logging.getLogger(__name__)

_TAIL = 500  # characters of the hook's stderr kept as its error


STOPPED = "stopped at shutdown: the receiver's grace period ran out"


@dataclass(frozen=True)
class HookOutcome:
    ok: bool
    detail: str  # "exit 0", "exit 3: <stderr tail>", "timed out after 60s", …
    retry_now: bool = False  # not the hook's failure: due again at once, not after a backoff


Execute = Callable[[str, Path, Mapping[str, str], bytes, float], HookOutcome]


def _die_with_parent() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl
    parent = os.getpid()
    set_pdeathsig = 1  # PR_SET_PDEATHSIG

    def in_child() -> None:
        prctl(set_pdeathsig, signal.SIGKILL)
        if os.getppid() != parent:  # the receiver died before prctl took effect
            os._exit(1)

    return in_child


class HookProcesses:
    """Runs hook commands (an Execute) and can stop the ones still running when the receiver shuts down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopped: set[int] = set()

    def __call__(self, command: str, folder: Path, env: Mapping[str, str], stdin: bytes, timeout: float) -> HookOutcome:
        """Run `command` to its end or its timeout; never raises for the command's failure."""
        try:
            child = subprocess.Popen(
                ["/bin/sh", "-c", command], cwd=folder, env=dict(env), stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                preexec_fn=_die_with_parent(),  # noqa: PLW1509 - async-signal-safe: one prctl call
            )  # fmt: skip
        except OSError as exc:
            return HookOutcome(False, f"cannot start: {exc.strerror or exc}")
        with self._lock:
            self._running.add(child)
        try:
            return self._wait(child, stdin, timeout)
        finally:
            with self._lock:
                self._running.discard(child)
                self._stopped.discard(child.pid)

    def stop_all(self) -> int:
        """Kill every hook command still running (their runs are due again at once); how many."""
        with self._lock:
            children = list(self._running)
            self._stopped.update(child.pid for child in children)
        for child in children:
            _kill_group(child)
        return len(children)

    def _wait(self, child: subprocess.Popen[bytes], stdin: bytes, timeout: float) -> HookOutcome:
        try:
            _, err = child.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(child)
            child.communicate()
            return HookOutcome(False, f"timed out after {timeout:g}s")
        except BaseException:
            _kill_group(child)
            child.wait()
            raise
        with self._lock:
            if child.pid in self._stopped:
                return HookOutcome(False, STOPPED, retry_now=True)
        # Kept as the run's error (journal, `webhook events`, the log): escaped, so it reads as it is.
        tail = escape(" ".join(err.decode("utf-8", "replace").split())[-_TAIL:])
        if child.returncode == 0:
            return HookOutcome(True, "exit 0")
        if child.returncode < 0:
            return HookOutcome(False, f"killed by signal {-child.returncode}{': ' + tail if tail else ''}")
        return HookOutcome(False, f"exit {child.returncode}{': ' + tail if tail else ''}")


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
