"""A local RFC 3161 timestamp authority for tests: OpenSSL's ``ts -reply`` behind a small HTTP endpoint, with a
throwaway CA made in the test. No network."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from evidence.anchors import Tsa

CONFIG = """[ tsa ]
default_tsa = local
[ local ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(folder: Path, name: str) -> None:
    """A CA and a TSA certificate it signs (extended key usage: timeStamping, critical)."""
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    run(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        f"/CN={name} CA",
        "-days",
        "2",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )
    run("req", *ec, "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name} TSA", cwd=folder)
    (folder / "ext.cnf").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n"
    )
    run(
        "x509",
        "-req",
        "-in",
        "tsa.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "tsa.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        cwd=folder,
    )
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(CONFIG.format(dir=folder))


def serve(folder: Path) -> ThreadingHTTPServer:
    lock = threading.Lock()  # the serial file is read and written by each reply

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(min(int(self.headers.get("Content-Length", 0)), 64 * 1024))
            with lock, tempfile.NamedTemporaryFile(dir=folder, suffix=".tsq") as file:
                file.write(query)
                file.flush()
                reply = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", str(folder / "tsa.cnf"), "-queryfile", file.name],
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
            self.send_response(200 if reply.returncode == 0 else 500)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply.stdout)))
            self.end_headers()
            self.wfile.write(reply.stdout)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def local_tsa(tmp_path: Path) -> Iterator[Tsa]:
    folder = tmp_path / "tsa"
    folder.mkdir()
    make_ca(folder, "Local test")
    server = serve(folder)
    try:
        yield Tsa(f"http://127.0.0.1:{server.server_address[1]}/", (folder / "ca.crt").read_bytes())
    finally:
        server.shutdown()
        server.server_close()
