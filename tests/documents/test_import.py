"""`socle documents import`: bulk load, rejected files with their reason, resuming after a stop."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from socle.documents import bulk_import
from socle.documents.models import Document, ImportRecord


@pytest.fixture
def directory(tmp_path):
    (tmp_path / "2024").mkdir()
    for index in range(6):
        (tmp_path / "2024" / f"note-{index}.txt").write_text(f"Note de service numéro {index}.")
    return tmp_path


def test_a_directory_is_imported_recursively_and_a_rerun_skips_it(territory, reference, directory, capsys):
    call_command("documents", "import", str(directory), "--org", "compiegne", "--plan", "PAT-02")
    assert Document.objects.filter(organisation=territory["compiegne"]).count() == 6
    call_command("documents", "import", str(directory), "--org", "compiegne", "--plan", "PAT-02")
    assert Document.objects.count() == 6
    assert "déjà présents : 6" in capsys.readouterr().out


def test_rejected_files_are_reported_with_their_reason_and_the_exit_is_non_zero(
        territory, reference, directory, capsys):
    (directory / "vide.txt").write_bytes(b"")
    (directory / "faux.pdf").write_bytes(b"Ceci n'est pas un PDF")
    (directory / "bad\x07name.txt").write_text("x")
    with pytest.raises(CommandError):
        call_command("documents", "import", str(directory), "--org", "compiegne", "--plan", "PAT-02")
    errors = capsys.readouterr().err
    assert "vide.txt : Le fichier est vide." in errors
    assert "faux.pdf : Le contenu du fichier" in errors
    assert "caractères de contrôle" in errors
    assert Document.objects.count() == 6, "the good files are imported anyway"


def test_an_import_interrupted_half_way_resumes_where_it_stopped(territory, reference, directory,
                                                                monkeypatch):
    real_create = bulk_import.document_create
    calls = {"n": 0}

    def crashing_create(**kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # the operator's Ctrl+C, or a killed process
        return real_create(**kwargs)

    monkeypatch.setattr(bulk_import, "document_create", crashing_create)
    with pytest.raises(KeyboardInterrupt):
        call_command("documents", "import", str(directory), "--org", "compiegne", "--plan", "PAT-02")
    assert Document.objects.count() == 3 and ImportRecord.objects.count() == 3
    monkeypatch.setattr(bulk_import, "document_create", real_create)
    call_command("documents", "import", str(directory), "--org", "compiegne", "--plan", "PAT-02")
    titles = sorted(Document.objects.values_list("title", flat=True))
    assert titles == [f"note-{index}" for index in range(6)], "each file once, none lost"


def test_an_unknown_node_rejects_every_file(territory, reference, directory):
    with pytest.raises(CommandError):
        call_command("documents", "import", str(directory), "--org", "compiegne", "--plan", "NOPE")
    assert Document.objects.count() == 0
