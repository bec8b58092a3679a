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


# Commands that serve no page: they start without the API documentation's app (django-ninja
# and pydantic imported for nothing), so that `socle archives verify` starts in well under a
# second. The API itself is imported only by what routes URLs.
LEAN_COMMANDS = frozenset({"archives", "audit"})
# Commands that read and write only their own module's tables (and core's): the other modules
# are not loaded at all (settings.ONLY_MODULES). `socle archives verify` starts 60 ms sooner.
SINGLE_MODULE_COMMANDS = (["archives", "verify"],)


def prepare(argv: list[str]) -> None:
    """Set, before the settings are read, what the command line decides about them."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socle.settings")
    _apply_data_dir(argv)
    if argv and argv[0] in LEAN_COMMANDS:
        os.environ.setdefault("SOCLE_WITHOUT_API_DOCS", "1")
    if argv[:2] in SINGLE_MODULE_COMMANDS:
        os.environ.setdefault("SOCLE_ONLY_MODULES", argv[0])


def main() -> None:
    argv = sys.argv[1:]
    prepare(argv)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["socle", *argv])


if __name__ == "__main__":
    main()
