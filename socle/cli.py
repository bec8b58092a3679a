"""The ``socle`` command: Django's management commands, project-wide.

``socle demo``, ``socle audit verify``, ``socle territory load FILE`` ... are
management commands of the apps; this entry point selects the settings and
applies ``--data-dir`` before they are read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _apply_data_dir(argv: list[str]) -> None:
    for index, arg in enumerate(argv):
        value = None
        if arg == "--data-dir" and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith("--data-dir="):
            value = arg.split("=", 1)[1]
        if value:
            os.environ["SOCLE_DATA_DIR"] = str(Path(value).resolve())


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socle.settings")
    argv = sys.argv[1:]
    _apply_data_dir(argv)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["socle", *argv])


if __name__ == "__main__":
    main()
