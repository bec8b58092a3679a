"""Decision 0017, step 1: the columns that hold references as ids, next to the old ones."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='mail',
            name='portal_case_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='mailpiece',
            name='documents_document_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
    ]
