"""Decision 0017, step 3: the case number, its organisation and the piece's string
reference go; the uniqueness and the index move to the case's id."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0003_reference_ids_fill'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='mail',
            name='mail_case_unique',
        ),
        migrations.RemoveIndex(
            model_name='mail',
            name='mail_mail_portal__3a0da5_idx',
        ),
        migrations.RemoveField(
            model_name='mail',
            name='portal_case_number',
        ),
        migrations.RemoveField(
            model_name='mail',
            name='portal_case_organisation',
        ),
        migrations.RemoveField(
            model_name='mailpiece',
            name='document_ref',
        ),
        migrations.AddIndex(
            model_name='mail',
            index=models.Index(fields=['portal_case_id'], name='mail_mail_portal__39bde7_idx'),
        ),
        migrations.AddConstraint(
            model_name='mail',
            constraint=models.UniqueConstraint(fields=('organisation', 'portal_case_id'),
                                               name='mail_case_unique'),
        ),
    ]
