"""A throwaway socle instance configured like production, for benchmarks to serve.

SQLite in a temporary data directory by default. When SOCLE_DATABASE_URL is
set, the instance runs on that server, in a database of its own
(``<name>_bench``) created for the run and dropped afterwards, so that the
demo territory never lands in the database the URL names.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .server import REPO


@dataclass(frozen=True)
class Instance:
    data_dir: Path
    env: dict[str, str]
    database: dict[str, Any]


def _base_env() -> dict[str, str]:
    # Settings come only from what the benchmark decides, not from the caller's shell.
    inherited = {k: v for k, v in os.environ.items()
                 if not k.startswith("SOCLE_") and k != "DJANGO_SETTINGS_MODULE"}
    return inherited


def _postgres_url_with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _postgres_admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def database_description(url: str | None = None) -> dict[str, Any]:
    """Describe the database the instance uses: vendor and server version."""
    url = os.environ.get("SOCLE_DATABASE_URL", "") if url is None else url
    if not url:
        return {"vendor": "sqlite", "version": sqlite3.sqlite_version}
    scheme = urlsplit(url).scheme
    if scheme.startswith("postgres"):
        import psycopg

        with psycopg.connect(url, connect_timeout=10) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        return {"vendor": "postgresql", "version": version[0] if version else "?"}
    return {"vendor": scheme, "version": "?"}


@contextlib.contextmanager
def prepared(*, work_dir: Path, database_url: str | None = None,
             database_name: str | None = None) -> Iterator[Instance]:
    """Prepare the demo territory with production settings, then clean everything up.

    ``database_url`` (a PostgreSQL server, "" for SQLite) replaces SOCLE_DATABASE_URL,
    and ``database_name`` the ``<name>_bench`` database created on that server.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=work_dir))
    env = {
        **_base_env(),
        "SOCLE_DATA_DIR": str(data_dir),
        "SOCLE_PRODUCTION": "1",
        # Loopback has no TLS in front of it: redirecting to https would only measure 301s.
        "SOCLE_SSL_REDIRECT": "0",
        "SOCLE_SECRET_KEY": secrets.token_urlsafe(50),
        "SOCLE_ALLOWED_HOSTS": "127.0.0.1",
        "SOCLE_DEBUG": "0",
        "SOCLE_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SOCLE_LOG_LEVEL": "WARNING",
    }
    source_url = (os.environ.get("SOCLE_DATABASE_URL", "") if database_url is None
                  else database_url)
    bench_db = ""
    if source_url:
        if not urlsplit(source_url).scheme.startswith("postgres"):
            raise RuntimeError("Le banc accepte SQLite (par défaut) ou une URL PostgreSQL "
                               "dans SOCLE_DATABASE_URL.")
        name = urlsplit(source_url).path.lstrip("/") or "socle"
        bench_db = database_name or f"{name}_bench"
        _postgres_admin(source_url, f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)')
        _postgres_admin(source_url, f'CREATE DATABASE "{bench_db}"')
        env["SOCLE_DATABASE_URL"] = _postgres_url_with_name(source_url, bench_db)
    try:
        database = database_description(env.get("SOCLE_DATABASE_URL", ""))
        database["name"] = bench_db or "socle.sqlite3 (dossier temporaire)"
        done = subprocess.run(
            [sys.executable, "-m", "socle.cli", "demo", "--no-serve", "--data-dir", str(data_dir)],
            cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"« socle demo --no-serve » a échoué :\n{done.stderr[-3000:]}")
        yield Instance(data_dir=data_dir, env=env, database=database)
    finally:
        if bench_db:
            _postgres_admin(source_url, f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)')
