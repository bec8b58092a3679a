"""Bulk loading of a directory into the GED (``socle documents import``), resumable.

Each file imported is recorded (``ImportRecord``: organisation, path relative to the
directory, size, modification time): a re-run skips it, so an import stopped half
way resumes where it stopped, and a file changed since is imported again as new.
A refused file is reported with its reason and not recorded: fixed, it is taken
on the next run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction

from socle.core.models import Organisation, User

from .models import ImportRecord
from .services import DocumentRefused, document_create

_BAD_NAME = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)


def directory_import(*, actor: User | None, directory: Path, organisation: Organisation, node_code: str,
                     on_file: Callable[[str, str, str], None] | None = None) -> ImportReport:
    """Import every file under a directory (recursively) as a document under one plan node."""
    report = ImportReport()
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()):
        relative = path.relative_to(directory).as_posix()
        if relative.startswith(".socle-import"):
            continue
        stat = path.stat()
        key = {"organisation": organisation, "path": relative[:1000], "size": stat.st_size,
               "mtime_ns": stat.st_mtime_ns}
        if ImportRecord.objects.filter(**key).exists():
            report.skipped.append(relative)
            _tell(on_file, relative, "skipped", "déjà importé")
            continue
        if _BAD_NAME.search(path.name):
            reason = "nom de fichier invalide (caractères de contrôle)"
            report.rejected.append((relative, reason))
            _tell(on_file, relative, "rejected", reason)
            continue
        try:
            with path.open("rb") as handle, transaction.atomic():
                document = document_create(actor=actor, organisation=organisation, node_code=node_code,
                                           stream=handle, file_name=path.name)
                ImportRecord.objects.create(document=document, **key)
        except DocumentRefused as refusal:
            report.rejected.append((relative, refusal.message))
            _tell(on_file, relative, "rejected", refusal.message)
            continue
        except IntegrityError:  # imported meanwhile by a concurrent run
            report.skipped.append(relative)
            continue
        report.imported.append(relative)
        _tell(on_file, relative, "imported", f"document n° {document.pk}")
    return report


def _tell(on_file: Callable[[str, str, str], None] | None, path: str, outcome: str, detail: str) -> None:
    if on_file is not None:
        on_file(path, outcome, detail)
