"""gunicorn settings of ``ledger serve`` (``gunicorn -c python:ledger_cli.gunicorn_conf``).

Threaded workers (``gthread``): a connection that sends nothing waits in the
worker's poller, not in a thread, so idle or slow clients cannot starve the
workers; a request's store calls are bounded (``infrastructure.bounds``) well
under ``timeout``. SIGTERM drains: workers stop accepting and finish in-flight
requests for up to ``graceful_timeout``. Each worker asks the kernel for
SIGTERM when its master dies, so a killed master leaves no worker holding the
port.
"""

from __future__ import annotations

import ctypes
import os
import signal
from typing import Any

worker_class = "ledger_cli.gunicorn_worker.PatientThreadWorker"  # gthread, threads only for readable connections
timeout = 30  # a worker silent this long is replaced (store calls give up after ~5-10 s)
graceful_timeout = 10  # SIGTERM: in-flight requests get this long to finish
keepalive = 5
PR_SET_PDEATHSIG = 1


def die_with_master() -> None:
    """Linux: the kernel sends this process SIGTERM when its parent (the master) dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: gunicorn's own parent check still stops the worker
        pass


def post_fork(server: Any, worker: Any) -> None:
    die_with_master()
    if worker.ppid != os.getppid():  # the master died before prctl took effect
        signal.raise_signal(signal.SIGTERM)
