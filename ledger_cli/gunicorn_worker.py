"""The gunicorn worker of ``ledger serve``: gthread, where a connection gets a thread only once it has data.

gunicorn's gthread worker hands every new connection to a thread, which then
waits up to 5 s for the first byte: fifty clients that connect and send
nothing hold every thread for seconds. Here a new connection first waits in
the poller (up to the keep-alive time, then it is closed), and a thread takes
it only when it is readable. A client that stalls in the middle of a request
gives its thread back after ``READ_TIMEOUT_S`` without a byte (a receive
timeout on the socket). Slower trickles are for the buffering proxy in front
(nginx in docker-compose) to absorb.
"""

from __future__ import annotations

import errno
import selectors
import socket
import struct
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

READ_TIMEOUT_S = 10


def receive_timeout(sock: socket.socket, seconds: int) -> None:
    """SO_RCVTIMEO: a blocking receive fails after ``seconds`` without data (kept across setblocking)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", seconds, 0))


class PatientThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn ships no type hints
    def accept(self, listener: Any) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        receive_timeout(client_sock, READ_TIMEOUT_S)
        client_sock.setblocking(False)
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(client_sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))
