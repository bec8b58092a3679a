"""An RFC 3161 timestamping authority on 127.0.0.1, answered by OpenSSL's ``ts -reply``.

``authority_create`` makes a root CA and a TSA certificate (critical extended key
usage timeStamping) with the ``openssl`` command, in a directory of the test;
``running_tsa`` serves it over HTTP as a real authority does: POST of an
``application/timestamp-query``, answer ``application/timestamp-reply``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

OPENSSL = shutil.which("openssl")


def _openssl(*args: str | Path, cwd: Path) -> bytes:
    assert OPENSSL, "openssl est nécessaire pour l'autorité d'horodatage de test"
    done = subprocess.run([OPENSSL, *map(str, args)], cwd=cwd, capture_output=True, check=False)
    if done.returncode:
        raise RuntimeError(f"openssl {args[0]} : {done.stderr.decode(errors='replace')}")
    return done.stdout


@dataclass
class Authority:
    directory: Path
    name: str

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def tsa_cert(self) -> Path:
        return self.directory / "tsa.pem"

    @property
    def config(self) -> Path:
        return self.directory / "openssl.cnf"

    def reply(self, query: bytes) -> bytes:
        """Answer one DER TimeStampReq with a DER TimeStampResp, as the authority would."""
        with tempfile.TemporaryDirectory(dir=self.directory) as work:
            query_file = Path(work) / "query.tsq"
            reply_file = Path(work) / "reply.tsr"
            query_file.write_bytes(query)
            _openssl("ts", "-reply", "-config", self.config, "-queryfile", query_file,
                     "-out", reply_file, cwd=self.directory)
            return reply_file.read_bytes()

    def token_for(self, digest: bytes) -> bytes:
        """Return a genuine token (DER ContentInfo) of this authority over ``digest``."""
        from socle.core.timestamping import timestamp_request, timestamp_response_token

        query, _ = timestamp_request(digest)
        return timestamp_response_token(self.reply(query))


def authority_create(directory: Path, name: str = "Autorité de test") -> Authority:
    """Create a root CA and a TSA certificate signed by it, with OpenSSL."""
    directory.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650", "-utf8",
             "-subj", f"/O=socle tests/CN={name} racine",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key",
             "-out", "tsa.csr", "-utf8", "-subj", f"/O=socle tests/CN={name} horodatage", cwd=directory)
    (directory / "tsa_ext.cnf").write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,nonRepudiation\n"
        "extendedKeyUsage=critical,timeStamping\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
    )
    _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-set_serial", "2", "-days", "825", "-sha256", "-extfile", "tsa_ext.cnf",
             "-out", "tsa.pem", cwd=directory)
    (directory / "tsaserial").write_text("01\n")
    (directory / "openssl.cnf").write_text(
        "[ tsa ]\n"
        "default_tsa = tsa_config\n"
        "[ tsa_config ]\n"
        f"dir = {directory}\n"
        "serial = $dir/tsaserial\n"
        "crypto_device = builtin\n"
        "signer_cert = $dir/tsa.pem\n"
        "certs = $dir/ca.pem\n"
        "signer_key = $dir/tsa.key\n"
        "signer_digest = sha256\n"
        "default_policy = 1.2.250.1.999.1\n"
        "digests = sha256, sha384, sha512\n"
        "accuracy = secs:1\n"
        "ordering = no\n"
        "tsa_name = yes\n"
        "ess_cert_id_chain = no\n"
        "ess_cert_id_alg = sha256\n"
    )
    return Authority(directory=directory, name=name)


@dataclass
class RunningTsa:
    authority: Authority
    url: str = ""
    queries: list[bytes] = field(default_factory=list)


def _handler(state: RunningTsa, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            # OpenSSL increments its serial file: one reply at a time.
            with lock:
                state.queries.append(query)
                try:
                    reply = state.authority.reply(query)
                except RuntimeError:
                    self.send_error(400)
                    return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    return Handler


@contextmanager
def running_tsa(authority: Authority) -> Iterator[RunningTsa]:
    """Serve ``authority`` on 127.0.0.1 for the duration of the block."""
    state = RunningTsa(authority=authority)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, threading.Lock()))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/tsa"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
