"""Serve a WSGI application with gunicorn on a free loopback port, and always stop it.

Every benchmark that measures a page serves the application under test and
its baseline with the same configuration, so that the ratio only reflects
what the application adds.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServerConfig:
    """How gunicorn serves both the application and its baseline."""

    workers: int = 2
    worker_class: str = "gthread"
    threads: int = 2
    keep_alive: int = 5

    @classmethod
    def from_env(cls) -> ServerConfig:
        """Read the defaults, or the overrides BENCH_WORKER_CLASS and BENCH_THREADS."""
        worker_class = os.environ.get("BENCH_WORKER_CLASS", cls.worker_class)
        threads = int(os.environ.get("BENCH_THREADS", str(cls.threads)))
        if worker_class == "sync":
            threads = 1
        return cls(worker_class=worker_class, threads=threads)

    def describe(self) -> str:
        version = importlib.metadata.version("gunicorn")
        threads = f" threads={self.threads}" if self.worker_class == "gthread" else ""
        return f"gunicorn {version} {self.worker_class} workers={self.workers}{threads}"

    def arguments(self) -> list[str]:
        args = ["--workers", str(self.workers), "--worker-class", self.worker_class,
                "--keep-alive", str(self.keep_alive)]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        return args


@dataclass(frozen=True)
class Server:
    base_url: str
    description: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the master and its workers (Linux), None elsewhere.

        Unlike throughput, it hardly moves when other programs share the machine.
        """
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        total = 0
        try:
            entries = list(Path("/proc").iterdir())
        except OSError:
            return None
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command may contain spaces: the fields start after its closing parenthesis.
            fields = stat[stat.rfind(")") + 2:].split()
            if int(fields[2]) == self.pid:  # process group: the server runs in its own session
                total += int(fields[11]) + int(fields[12])
        return total / tick if total else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # The server runs in its own session: signal its group, i.e. the master and
    # the workers it forked, and nothing else.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Le serveur s'est arrêté au démarrage :\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"Le serveur ne répond pas sur {url} :\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    if not log.exists():
        return "(aucun journal)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def served(app: str, *, config: ServerConfig, env: dict[str, str], log_dir: Path,
           ready_path: str = "/") -> Iterator[Server]:
    """Serve the WSGI application ``app`` (``module:callable``) until the block ends."""
    port = free_port()
    log = log_dir / f"gunicorn-{port}.log"
    command = [
        sys.executable, "-m", "gunicorn", app,
        "--bind", f"127.0.0.1:{port}",
        *config.arguments(),
        "--log-level", "warning",
        "--error-logfile", str(log),
        "--no-control-socket",
    ]
    process = subprocess.Popen(
        command, cwd=REPO, env={**env, "PYTHONPATH": str(REPO)},
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_ready(base_url + ready_path, process, log, timeout=60)
        yield Server(base_url=base_url, description=config.describe(), pid=process.pid)
    finally:
        _stop(process)
