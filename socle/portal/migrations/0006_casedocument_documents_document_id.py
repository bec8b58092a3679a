"""Decision 0017: the GED document a case's file was filed as is named for its app and
model (``documents_document_id``), a big integer like the documents' keys."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0005_payment_one_pending_reference'),
    ]

    operations = [
        migrations.RenameField(
            model_name='casedocument',
            old_name='document_id',
            new_name='documents_document_id',
        ),
        migrations.AlterField(
            model_name='casedocument',
            name='documents_document_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
    ]
