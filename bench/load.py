"""Load an HTTP endpoint with concurrent keep-alive clients and report throughput and latency.

``wrk`` is the load generator: written in C, it leaves the CPU to the server
under test. When it is missing and cannot be installed, a Python generator
(asyncio, one connection per client) stands in; it is slower, so the figures
it gives are lower for the application and its baseline alike, and the output
names the tool that was used.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass(frozen=True)
class LoadConfig:
    connections: int = 32
    duration: float = 10.0
    warmup: float = 2.0
    wrk_threads: int = 1

    @classmethod
    def from_env(cls) -> LoadConfig:
        """Read BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS and BENCH_WRK_THREADS."""
        return cls(
            connections=int(os.environ.get("BENCH_CONNECTIONS", str(cls.connections))),
            duration=float(os.environ.get("BENCH_DURATION", str(cls.duration))),
            warmup=float(os.environ.get("BENCH_WARMUP", str(cls.warmup))),
            wrk_threads=int(os.environ.get("BENCH_WRK_THREADS", str(cls.wrk_threads))),
        )


def find_wrk() -> str | None:
    """Return wrk's path, installing the Debian package when missing and allowed.

    BENCH_TOOL=python forces the Python generator.
    """
    if os.environ.get("BENCH_TOOL") == "python":
        return None
    found = shutil.which("wrk")
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk est absent : installation du paquet Debian « wrk »…", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "install", "-y", "-q", "wrk"], ["apt-get", "update", "-q"],
                        ["apt-get", "install", "-y", "-q", "wrk"]):
            subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            if shutil.which("wrk"):
                break
        return shutil.which("wrk")
    return None


class LoadGenerator:
    """wrk when available, the Python generator otherwise."""

    def __init__(self, config: LoadConfig) -> None:
        self.config = config
        self.wrk = find_wrk()

    def describe(self) -> str:
        c = self.config
        settings = (f"connections={c.connections} duration={c.duration:g}s "
                    f"warmup={c.warmup:g}s keep-alive")
        if self.wrk:
            version = subprocess.run([self.wrk, "--version"], capture_output=True, text=True,
                                     check=False).stdout.split(" [")[0].strip()
            return f"{version} threads={c.wrk_threads} {settings}"
        return f"python-asyncio (repli : wrk introuvable) {settings}"

    def warm_up(self, url: str) -> None:
        """Load the target without recording: workers load templates, open connections."""
        if self.config.warmup > 0:
            self._run(url, self.config.warmup)

    def measure(self, url: str) -> dict[str, Any]:
        """Load the target for the configured duration."""
        return self._run(url, self.config.duration)

    def _run(self, url: str, duration: float) -> dict[str, Any]:
        if self.wrk:
            return run_wrk(self.wrk, url, connections=self.config.connections,
                           threads=self.config.wrk_threads, duration=duration)
        return asyncio.run(run_python(url, connections=self.config.connections,
                                      duration=duration))


def _to_ms(value: str, unit: str) -> float:
    return float(value) * UNIT_MS[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    """Read requests/s, p50, p99 and the error counts from ``wrk --latency`` output."""
    figures: dict[str, Any] = {}
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if rate is None:
        raise RuntimeError(f"Sortie de wrk illisible :\n{output}")
    figures["requests_per_second"] = round(float(rate.group(1)), 1)
    for name, percent in (("p50_ms", "50"), ("p99_ms", "99")):
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
        if found is None:
            raise RuntimeError(f"Percentile {percent} absent de la sortie de wrk :\n{output}")
        figures[name] = round(_to_ms(found.group(1), found.group(2)), 3)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    figures["requests"] = int(total.group(1)) if total else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    figures["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    figures["socket_errors"] = sum(int(n) for n in errors.groups()) if errors else 0
    return figures


def run_wrk(wrk: str, url: str, *, connections: int, threads: int,
            duration: float) -> dict[str, Any]:
    seconds = max(1, round(duration))
    done = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "--latency", url],
        capture_output=True, text=True, check=False, timeout=seconds + 60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk a échoué ({done.returncode}) :\n{done.stderr}{done.stdout}")
    return parse_wrk(done.stdout)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers.get("connection") == "close"


async def _client(host: str, port: int, target: str, deadline: float,
                  latencies: list[float], counts: dict[str, int]) -> None:
    request = (f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
               "Connection: keep-alive\r\n\r\n").encode()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                writer.write(request)
                await writer.drain()
                status, closing = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError):
                counts["socket_errors"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            latencies.append(time.perf_counter() - start)
            if not 200 <= status < 300:
                counts["non_2xx"] += 1
            if closing:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def run_python(url: str, *, connections: int, duration: float) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    latencies: list[float] = []
    counts = {"non_2xx": 0, "socket_errors": 0}
    start = time.perf_counter()
    deadline = start + duration
    await asyncio.gather(*(_client(host, port, target, deadline, latencies, counts)
                           for _ in range(connections)))
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return {
        "requests_per_second": round(len(ordered) / elapsed, 1),
        "p50_ms": round(_percentile(ordered, 0.50) * 1000, 3),
        "p99_ms": round(_percentile(ordered, 0.99) * 1000, 3),
        "requests": len(ordered),
        **counts,
    }
