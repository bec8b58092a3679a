"""Decision 0017, step 3: no database key from the archives to the GED any more."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('archives', '0005_gedtransferdocument_fill'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='gedtransfer',
            name='documents',
        ),
    ]
