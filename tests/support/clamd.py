"""ClamAV for the tests: Debian's clamd when installed, and a small server speaking its protocol.

``ClamdProtocolServer`` answers VERSION, PING and INSTREAM over a unix socket (or TCP) as
clamd does, and finds one signature: the EICAR test file, the antivirus industry's
harmless sample. ``real_clamd`` starts Debian's ``clamd`` (package ``clamav-daemon``) on
a socket of the test's own, with the official signature database when freshclam could
fetch it (``/var/lib/clamav``), otherwise with a one-line database that knows EICAR by
its MD5, the form of ClamAV's own ``.hdb`` files: the scanning is ClamAV's either way.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import socketserver
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# Written in two halves so that this file is not itself taken for the test virus.
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-"
         b"STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
EICAR_MD5 = "44d88612fea8a8f36de82e1278abb02f"
SIGNATURE = "Eicar-Test-Signature"


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        command = b""
        while not command.endswith((b"\0", b"\n")):
            byte = self.rfile.read(1)
            if not byte:
                return
            command += byte
        name = command.strip(b"\0\n").lstrip(b"zn")
        if name == b"PING":
            self.wfile.write(b"PONG\0")
        elif name == b"VERSION":
            self.wfile.write(b"ClamAV 0.0.0-test/1/socle\0")
        elif name == b"INSTREAM":
            self.wfile.write(self._instream())
        else:
            self.wfile.write(b"UNKNOWN COMMAND\0")

    def _instream(self) -> bytes:
        data = bytearray()
        while True:
            header = self.rfile.read(4)
            if len(header) < 4:
                return b""
            (length,) = struct.unpack(">I", header)
            if length == 0:
                break
            data += self.rfile.read(length)
            if len(data) > self.server.max_length:
                return b"INSTREAM size limit exceeded. ERROR\0"
        self.server.scanned += 1
        if EICAR in data:
            return f"stream: {SIGNATURE} FOUND\0".encode()
        return b"stream: OK\0"


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    max_length = 25 * 1024 * 1024
    scanned = 0


class ClamdProtocolServer:
    """A clamd stand-in on a unix socket, started and stopped by the test."""

    def __init__(self, path: Path, max_length: int = 25 * 1024 * 1024) -> None:
        self.path = path
        self.server = _Server(str(path), _Handler)
        self.server.max_length = max_length
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"clamd://{self.path}"

    @property
    def scanned(self) -> int:
        return self.server.scanned

    def __enter__(self) -> ClamdProtocolServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def clamd_binary() -> str | None:
    return shutil.which("clamd") or next(
        (path for path in ("/usr/sbin/clamd",) if Path(path).is_file()), None)


OFFICIAL_DATABASE = Path("/var/lib/clamav")


def official_database() -> Path | None:
    """The folder of ClamAV's official signatures, when freshclam could fetch them."""
    if any(OFFICIAL_DATABASE.glob("main.c[vl]d")) and any(OFFICIAL_DATABASE.glob("daily.c[vl]d")):
        return OFFICIAL_DATABASE
    return None


@contextlib.contextmanager
def real_clamd(folder: Path, binary: str) -> Iterator[tuple[str, str]]:
    """Run Debian's clamd on a socket in ``folder``; yield its address and its database."""
    database = official_database()
    label = "base officielle de ClamAV"
    if database is None:
        database = folder / "db"
        database.mkdir()
        (database / "eicar.hdb").write_text(f"{EICAR_MD5}:{len(EICAR)}:{SIGNATURE}\n")
        label = "base locale (signature EICAR au format .hdb de ClamAV)"
    sock = folder / "clamd.sock"
    config = folder / "clamd.conf"
    config.write_text(
        "Foreground yes\n"
        f"LocalSocket {sock}\n"
        f"DatabaseDirectory {database}\n"
        f"LogFile {folder / 'clamd.log'}\n"
        f"TemporaryDirectory {folder}\n"
        "StreamMaxLength 100M\n")
    process = subprocess.Popen([binary, f"--config-file={config}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Loading the official database takes a while; the local one, a fraction of a second.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = (folder / "clamd.log")
                raise RuntimeError("clamd s'est arrêté : "
                                   + (log.read_text()[-2000:] if log.exists() else ""))
            if sock.exists():
                with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as probe:
                    probe.connect(str(sock))
                    probe.sendall(b"zPING\0")
                    if probe.recv(16).startswith(b"PONG"):
                        break
            time.sleep(0.1)
        else:
            raise RuntimeError("clamd n'a pas ouvert son socket à temps.")
        yield f"clamd://{sock}", label
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
