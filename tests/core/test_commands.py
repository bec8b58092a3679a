"""Operators' commands: socle user add / grant / revoke, token, demo."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from socle.core.models import AuditEvent, Membership, User


def test_user_add_creates_a_citizen_of_a_commune(territory, capsys):
    call_command("user", "add", "habitant@exemple.fr", "--password", "Tres-long-secret-1",
                 "--citizen", "--commune", "jaux")
    user = User.objects.get(email="habitant@exemple.fr")
    assert user.citizen.home_commune.slug == "jaux"
    assert user.check_password("Tres-long-secret-1")
    assert "Compte créé" in capsys.readouterr().out


def test_user_add_grants_agent_roles_journaled(territory):
    call_command("user", "add", "agent@exemple.fr", "--password", "Tres-long-secret-1",
                 "--agent", "compiegne:portal.caseworker", "--agent", "arc:documents.reader")
    roles = set(Membership.objects.values_list("organisation__slug", "role"))
    assert roles == {("compiegne", "portal.caseworker"), ("arc", "documents.reader")}
    grants = AuditEvent.objects.filter(action="membership.grant")
    assert {e.organisation_slug for e in grants} == {"compiegne", "arc"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agent", "nowhere:portal.caseworker"], "Organisation inconnue"),
        (["--agent", "compiegne:portal.king"], "Rôle inconnu"),
        (["--agent", "compiegne"], "ORGANISATION:RÔLE"),
        (["--citizen", "--commune", "dcsi"], "Commune inconnue"),
        (["--password", "court"], "trop court"),
    ],
)
def test_user_add_refuses_bad_input_and_creates_nothing(territory, args, message):
    base = ["user", "add", "x@exemple.fr"]
    if "--password" not in args:
        base += ["--password", "Tres-long-secret-1"]
    with pytest.raises(CommandError, match=message):
        call_command(*base, *args)
    assert not User.objects.filter(email="x@exemple.fr").exists()


def test_user_revoke_removes_a_role_and_journals_it(territory, make_user):
    make_user("agent@exemple.fr", roles=[(territory["compiegne"], "mail.clerk")])
    call_command("user", "revoke", "agent@exemple.fr", "compiegne:mail.clerk")
    assert not Membership.objects.filter(revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="membership.revoke").exists()


def test_token_revoke_command(make_user, capsys):
    make_user("op@exemple.fr")
    call_command("token", "create", "op@exemple.fr")
    prefix = capsys.readouterr().out.strip().split("_")[1]
    call_command("token", "revoke", prefix)
    call_command("token", "list", "op@exemple.fr")
    assert "révoqué" in capsys.readouterr().out


def test_demo_on_a_data_dir_is_idempotent_and_audit_verify_reads_it(tmp_path):
    """`socle demo --data-dir DIR` twice, then `SOCLE_DATA_DIR=DIR socle audit verify`."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "socle.cli"]
    data_dir = tmp_path / "demo"
    done = subprocess.run([*cmd, "demo", "--no-serve", "--data-dir", str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "habitant.compiegne@demo.socle.fr" in done.stdout
    assert (data_dir / "socle.sqlite3").exists()
    # Again, serving on a port of its own: loaded once more without harm, and the absolute
    # links it writes (GBFS's system URL, the links in mails) lead to that port.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = subprocess.Popen([*cmd, "demo", "--data-dir", str(data_dir), "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    try:
        info = _get_json(f"http://127.0.0.1:{port}/mobilite/gbfs/system_information.json",
                         served, timeout=120)
        assert info["data"]["url"].startswith(f"http://127.0.0.1:{port}/")
    finally:
        os.killpg(served.pid, signal.SIGTERM)
        served.communicate(timeout=30)
    verify = subprocess.run([*cmd, "audit", "verify"], env={**env, "SOCLE_DATA_DIR": str(data_dir)},
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stderr
    assert '"ok": true' in verify.stdout


def _get_json(url: str, process: subprocess.Popen[str], *, timeout: float) -> dict[str, Any]:
    """GET a JSON document from a server that is starting; fail if it dies first."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, "le serveur de démonstration s'est arrêté"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
