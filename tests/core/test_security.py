"""Production settings pass `check --deploy`, and every response carries the security headers.

The production module is only ever loaded with SOCLE_PRODUCTION=1 in its own
interpreter: the test process keeps the default settings, so the production
behaviour is observed through subprocesses calling the real WSGI application.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The interpreter running the suite: .venv/bin/python under `make test`.
PYTHON = sys.executable
HOST = "socle.example.fr"


def production_env(data_dir: Path, **extra: str) -> dict[str, str]:
    # Nothing of the test run's own SOCLE_* (data dir, database URL) leaks into production.
    env = {key: value for key, value in os.environ.items() if not key.startswith("SOCLE_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update({
        "SOCLE_PRODUCTION": "1",
        "SOCLE_SECRET_KEY": secrets.token_urlsafe(64),
        "SOCLE_ALLOWED_HOSTS": HOST,
        "SOCLE_DATA_DIR": str(data_dir),
        **extra,
    })
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)


# --- check --deploy ------------------------------------------------------------------------

def seda_schemas(root: Path) -> str:
    # The deploy check asks for every SEDA version's main XSD; their content is not its concern.
    for version in ("2.1", "2.2", "2.3"):
        (root / f"seda-{version}").mkdir(parents=True)
        (root / f"seda-{version}" / f"seda-{version}-main.xsd").write_text("<schema/>")
    return str(root)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run([PYTHON, "-m", "socle.cli", "check", "--deploy", "--fail-level", "WARNING"],
                 production_env(tmp_path, SOCLE_SEDA_SCHEMAS=seda_schemas(tmp_path / "seda"),
                                # Only named: the deploy check does not reach clamd.
                                SOCLE_ARCHIVES_ANTIVIRUS="clamd:///run/clamav/clamd.ctl"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout + result.stderr


def test_check_deploy_still_reports_a_weak_secret_key(tmp_path):
    # Proves the clean result above comes from the settings, not from silenced checks.
    result = run([PYTHON, "-m", "socle.cli", "check", "--deploy", "--fail-level", "WARNING"],
                 production_env(tmp_path, SOCLE_SECRET_KEY="trop-courte"))
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SOCLE_SECRET_KEY"]
    result = run([PYTHON, "-m", "socle.cli", "check"], env)
    assert result.returncode != 0
    assert "SOCLE_SECRET_KEY doit être défini en production" in result.stderr


def test_a_link_signed_with_the_previous_key_survives_a_key_rotation(tmp_path):
    from django.core import signing

    old_key, new_key = secrets.token_urlsafe(64), secrets.token_urlsafe(64)
    link = signing.dumps({"user": 42}, key=old_key, salt="socle.rotation")
    probe = ("import sys, django; django.setup(); from django.core import signing; "
             "print(signing.loads(sys.argv[1], salt='socle.rotation')['user'])")
    env = production_env(tmp_path, SOCLE_SECRET_KEY=new_key, DJANGO_SETTINGS_MODULE="socle.settings")

    rejected = run([PYTHON, "-c", probe, link], env)
    assert rejected.returncode != 0 and "BadSignature" in rejected.stderr

    env["SOCLE_SECRET_KEY_FALLBACKS"] = old_key
    accepted = run([PYTHON, "-c", probe, link], env)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.strip() == "42"


# --- production responses, through the real WSGI application ----------------------------------

# Runs in the production interpreter: migrate a fresh SQLite base, collect the
# static files (as a deployment does), then call
# socle.wsgi.application as a WSGI server would, behind a TLS-terminating proxy.
PRODUCTION_PROBE = textwrap.dedent("""
    import json, os
    from wsgiref.util import setup_testing_defaults

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    # Loaded after collectstatic, as gunicorn starts after the deployment step.
    from socle.wsgi import application
    HOST = os.environ["SOCLE_ALLOWED_HOSTS"]

    def call(path, https):
        environ = {}
        setup_testing_defaults(environ)
        environ.update(REQUEST_METHOD="GET", PATH_INFO=path, HTTP_HOST=HOST,
                       SERVER_NAME=HOST, SERVER_PORT="8000")
        if https:
            environ["HTTP_X_FORWARDED_PROTO"] = "https"
        seen = {}

        def start_response(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            seen["headers"] = headers

        body = b"".join(application(environ, start_response))
        return {"status": seen["status"], "body": body.decode("utf-8", "replace"),
                "headers": [[name.lower(), value] for name, value in seen["headers"]]}

    print(json.dumps({
        "home_https": call("/", True),
        "home_http": call("/", False),
        "healthz_http": call("/healthz", False),
        "login_https": call("/connexion/", True),
    }))
""")


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("production")
    result = run([PYTHON, "-c", PRODUCTION_PROBE],
                 production_env(data_dir, DJANGO_SETTINGS_MODULE="socle.settings"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def header(response: dict, name: str) -> str | None:
    values = [value for key, value in response["headers"] if key == name.lower()]
    return values[0] if values else None


def test_production_sends_hsts_over_https(production):
    hsts = header(production["home_https"], "Strict-Transport-Security")
    assert production["home_https"]["status"] == 200
    assert hsts is not None
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


def test_production_redirects_plain_http_to_https(production):
    response = production["home_http"]
    assert response["status"] == 301
    assert header(response, "Location") == f"https://{HOST}/"


def test_production_answers_health_checks_over_plain_http(production):
    # The load balancer probes instances directly, without TLS.
    response = production["healthz_http"]
    assert response["status"] == 200
    assert json.loads(response["body"])["status"] == "ok"


def test_production_cookies_are_secure_and_http_only(production):
    cookies = [value.strip() for key, value in production["login_https"]["headers"]
               if key == "set-cookie"]
    csrf = [cookie for cookie in cookies if cookie.startswith("csrftoken=")]
    assert csrf, "the sign-in form sets a CSRF cookie"
    assert all("Secure" in cookie and "HttpOnly" in cookie for cookie in csrf)


def test_production_pages_carry_the_same_policy_headers(production):
    response = production["home_https"]
    assert "frame-ancestors 'none'" in header(response, "Content-Security-Policy")
    assert header(response, "X-Frame-Options") == "DENY"
    assert header(response, "X-Content-Type-Options") == "nosniff"
    assert header(response, "Referrer-Policy") == "same-origin"
    assert header(response, "Cross-Origin-Opener-Policy") == "same-origin"


# --- headers on every response, default settings -------------------------------------------------

def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("path", ["/", "/connexion/", "/page-inexistante/", "/api/v1/me"])
def test_every_response_carries_the_security_headers(client, db, path):
    response = client.get(path)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Content-Security-Policy" in response


def test_content_security_policy_allows_only_our_own_origin(client, db):
    policy = csp_directives(client.get("/")["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"][0] == "'self'"


def test_hsts_is_not_sent_outside_production(client, db):
    # A laptop running `make demo` over plain HTTP must not pin itself to HTTPS.
    assert "Strict-Transport-Security" not in client.get("/", secure=True)


def test_api_documentation_loads_nothing_from_another_host(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "https://" not in re.sub(r'id="swagger-settings">.*?</script>', "", html, flags=re.S)
    assert re.search(r'<script src="/static/ninja/swagger-ui-bundle\.js"', html)


# Things the policy above blocks in the browser: an inline script (a script element
# without src, other than a JSON data block), an inline style, an event handler attribute.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")",
                           re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=[\"']", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+=[\"']", re.IGNORECASE)


def test_no_template_relies_on_what_the_policy_blocks():
    offenders = []
    for path in sorted((ROOT / "socle").rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, EVENT_HANDLER):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)!r}")
    assert not offenders, "Bloqué par la CSP :\n" + "\n".join(offenders)

