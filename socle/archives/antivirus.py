"""The antivirus of the ingest: a scanner interface and its ClamAV backend (clamd, INSTREAM).

``ARCHIVES_ANTIVIRUS`` (``SOCLE_ARCHIVES_ANTIVIRUS``) names the scanner as an address:

- ``clamd:///run/clamav/clamd.ctl``: clamd on a unix socket (the path after ``clamd://``);
- ``clamd://127.0.0.1:3310``: clamd over TCP;
- empty: no scanner. The ingest's "antivirus" step is then WARNING (not performed), and
  ``socle check --deploy`` says so (``socle.archives.W001``).

Files are streamed to clamd with INSTREAM, one connection each, so that a signature is
reported with the name of the file it was found in; clamd never needs to read the
spool directory. clamd's ``StreamMaxLength`` must be at least the largest file a
transfer may hold: past it clamd answers "size limit exceeded", and the transfer is
refused rather than let through unscanned.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CHUNK = 64 * 1024


class ScannerError(Exception):
    """The scanner could not say whether a file is clean (French reason)."""


class Scanner(Protocol):
    """A virus scanner: names itself and says, for one file, the signature found or None."""

    @property
    def description(self) -> str:
        """Name the scanner and where it answers, in French, for the step's reason."""

    def version(self) -> str:
        """Name the engine and its signature database, as recorded in the step."""

    def scan(self, path: Path) -> str | None:
        """Return the name of the signature found in the file, or None when it is clean."""


@dataclass(frozen=True)
class ClamdScanner:
    """ClamAV's daemon, over a unix socket (``unix_path``) or TCP (``host``, ``port``)."""

    unix_path: str = ""
    host: str = ""
    port: int = 3310
    timeout: float = 60.0

    @property
    def description(self) -> str:
        return f"ClamAV (clamd, {self.unix_path or f'{self.host}:{self.port}'})"

    def _connect(self) -> socket.socket:
        try:
            if self.unix_path:
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    connection.settimeout(self.timeout)
                    connection.connect(self.unix_path)
                except OSError:
                    connection.close()
                    raise
                return connection
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise ScannerError(f"clamd injoignable ({self.description}) : {exc}") from None

    @staticmethod
    def _reply(connection: socket.socket) -> str:
        data = b""
        while not data.endswith(b"\0"):
            chunk = connection.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.rstrip(b"\0\n").decode("utf-8", "replace")

    def version(self) -> str:
        try:
            with self._connect() as connection:
                connection.sendall(b"zVERSION\0")
                return self._reply(connection)
        except OSError as exc:
            raise ScannerError(f"clamd ne répond pas : {exc}") from None

    def scan(self, path: Path) -> str | None:
        with self._connect() as connection, open(path, "rb") as source:
            try:
                connection.sendall(b"zINSTREAM\0")
                while chunk := source.read(CHUNK):
                    connection.sendall(struct.pack(">I", len(chunk)) + chunk)
                connection.sendall(struct.pack(">I", 0))
            except OSError as exc:
                # clamd stops reading a stream past StreamMaxLength, says why, and closes.
                reply = self._reply_if_any(connection)
                if not reply:
                    raise ScannerError(f"échange interrompu avec clamd : {exc}") from None
                return _clamd_verdict(reply)
            try:
                reply = self._reply(connection)
            except OSError as exc:
                raise ScannerError(f"clamd ne répond pas : {exc}") from None
        return _clamd_verdict(reply)

    def _reply_if_any(self, connection: socket.socket) -> str:
        try:
            return self._reply(connection)
        except OSError:
            return ""


def _clamd_verdict(reply: str) -> str | None:
    """Read clamd's answer to INSTREAM: "stream: OK" or "stream: <signature> FOUND"."""
    _, _, verdict = reply.partition(": ")
    if verdict == "OK":
        return None
    if verdict.endswith(" FOUND"):
        return verdict[: -len(" FOUND")].strip() or "inconnue"
    if "size limit exceeded" in reply:
        raise ScannerError("fichier plus grand que ce que clamd accepte d'analyser "
                           "(augmenter StreamMaxLength dans clamd.conf)")
    raise ScannerError(f"réponse inattendue de clamd : « {reply[:200]} »")


def scanner_from_address(address: str, timeout: float = 60.0) -> Scanner | None:
    """Build the scanner an address names, None for an empty one; refuse an unknown form."""
    address = address.strip()
    if not address:
        return None
    parts = urlsplit(address)
    if parts.scheme != "clamd":
        raise ImproperlyConfigured(
            f"SOCLE_ARCHIVES_ANTIVIRUS « {address} » : attendu clamd:///chemin/du/socket ou "
            "clamd://hôte:port.")
    if parts.netloc:
        if not parts.hostname or not parts.port:
            raise ImproperlyConfigured(
                f"SOCLE_ARCHIVES_ANTIVIRUS « {address} » : indiquez l'hôte et le port de clamd "
                "(clamd://127.0.0.1:3310).")
        return ClamdScanner(host=parts.hostname, port=parts.port, timeout=timeout)
    if not parts.path:
        raise ImproperlyConfigured(
            f"SOCLE_ARCHIVES_ANTIVIRUS « {address} » : indiquez le socket de clamd "
            "(clamd:///run/clamav/clamd.ctl).")
    return ClamdScanner(unix_path=parts.path, timeout=timeout)


def configured_scanner() -> Scanner | None:
    """Return the scanner the settings configure, or None when there is none."""
    return scanner_from_address(settings.ARCHIVES_ANTIVIRUS,
                                float(settings.ARCHIVES_ANTIVIRUS_TIMEOUT))
