"""A TCP proxy a test can cut and restore: a database outage without stopping the shared server.

``cut()`` closes the listening socket and every open connection (clients see
"connection refused" and "server closed the connection", as when the database
stops); ``restore()`` listens again on the same port.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

from tests.e2e.server import free_port

ACCEPT_POLL_S = 0.1


class TcpProxy:
    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listening: threading.Event | None = None
        self.thread: threading.Thread | None = None

    def __enter__(self) -> TcpProxy:
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(ACCEPT_POLL_S)
        self.listening = threading.Event()
        self.listening.set()
        self.thread = threading.Thread(target=self.accept, args=(listener, self.listening), daemon=True)
        self.thread.start()

    def cut(self) -> None:
        if self.listening is not None and self.thread is not None:
            self.listening.clear()
            self.thread.join()  # the listening socket is closed: new connections are refused
        with self.lock:
            doomed, self.sockets = list(self.sockets), set()
        for sock in doomed:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def accept(self, listener: socket.socket, listening: threading.Event) -> None:
        with listener:
            while listening.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                for sock in (client, upstream):
                    sock.settimeout(None)
                with self.lock:
                    self.sockets.update((client, upstream))
                threading.Thread(target=self.pump, args=(client, upstream), daemon=True).start()
                threading.Thread(target=self.pump, args=(upstream, client), daemon=True).start()

    def pump(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
