"""Decision 0017, step 2: the rows of the many-to-many table to the GED's documents are
copied as ids; in a migration of their own, so that PostgreSQL drops the old table in
the next transaction."""

from django.db import migrations


def forwards(apps, schema_editor):
    GedTransfer = apps.get_model("archives", "GedTransfer")
    GedTransferDocument = apps.get_model("archives", "GedTransferDocument")
    through = GedTransfer.documents.through
    rows = through.objects.values_list("gedtransfer_id", "document_id").order_by("pk")
    GedTransferDocument.objects.bulk_create(
        [GedTransferDocument(ged_transfer_id=transfer_id, documents_document_id=document_id)
         for transfer_id, document_id in rows.iterator()],
        batch_size=1000, ignore_conflicts=True)


def backwards(apps, schema_editor):
    GedTransfer = apps.get_model("archives", "GedTransfer")
    GedTransferDocument = apps.get_model("archives", "GedTransferDocument")
    Document = apps.get_model("documents", "Document")
    through = GedTransfer.documents.through
    rows = GedTransferDocument.objects.values_list("ged_transfer_id", "documents_document_id")
    existing = set(Document.objects.filter(
        pk__in=GedTransferDocument.objects.values("documents_document_id"))
        .values_list("pk", flat=True))
    # A document destroyed since has no row to point to in a table with a database key.
    through.objects.bulk_create(
        [through(gedtransfer_id=transfer_id, document_id=document_id)
         for transfer_id, document_id in rows.iterator() if document_id in existing],
        batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('archives', '0004_gedtransferdocument'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
