"""`socle archives verify` starts with the archives module only (settings.ONLY_MODULES)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SOCLE = str(Path(sys.executable).with_name("socle"))


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SOCLE_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"SOCLE_DATA_DIR": str(tmp_path), "SOCLE_SECRET_KEY": "test-" + "x" * 50})
    return env


def test_verify_runs_with_only_the_archives_module_loaded(tmp_path: Path) -> None:
    env = _env(tmp_path)
    migrate = subprocess.run([SOCLE, "migrate", "--no-input"], env=env, capture_output=True,
                             text=True, check=False)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    done = subprocess.run([SOCLE, "archives", "verify", "--no-repair"], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["packages_checked"] == 0
    assert report["offers"], report


def test_only_verify_is_narrowed_to_its_module(tmp_path: Path) -> None:
    script = ("import sys; from socle.cli import prepare; prepare(sys.argv[1:]);"
              "from django.conf import settings;"
              "print(','.join(a for a in settings.INSTALLED_APPS if a.startswith('socle.')))")
    apps: dict[str, list[str]] = {}
    for words in (["archives", "verify"], ["archives", "export"]):
        done = subprocess.run([sys.executable, "-c", script, *words], env=_env(tmp_path),
                              capture_output=True, text=True, check=True)
        apps[words[1]] = done.stdout.strip().split(",")
    assert apps["verify"] == ["socle.core", "socle.archives"]
    assert {"socle.portal", "socle.documents", "socle.archives"} <= set(apps["export"])
