"""Decision 0017, step 1: a transfer's GED documents by id, in a table of the archives."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('archives', '0003_step_outcome'),
    ]

    operations = [
        migrations.CreateModel(
            name='GedTransferDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('documents_document_id', models.BigIntegerField()),
                ('ged_transfer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='archives.gedtransfer')),
            ],
            options={
                'ordering': ['documents_document_id'],
                'constraints': [models.UniqueConstraint(fields=('ged_transfer', 'documents_document_id'), name='gedtransferdocument_unique')],
            },
        ),
    ]
