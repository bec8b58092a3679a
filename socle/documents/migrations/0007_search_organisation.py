"""The search index learns each entry's organisation (PostgreSQL): see socle/documents/search.py.

Searching reads the newest entries of the organisations the actor may see, without
joining the documents; ``document_index`` and ``search.reindex`` keep the column.
"""

from django.db import migrations

POSTGRES_UP = [
    "ALTER TABLE documents_search ADD COLUMN IF NOT EXISTS organisation_id bigint",
    """UPDATE documents_search s SET organisation_id = d.organisation_id
       FROM documents_document d WHERE d.id = s.document_id""",
    # An entry without its document is a leftover: searching never showed it.
    "DELETE FROM documents_search WHERE organisation_id IS NULL",
    "ALTER TABLE documents_search ALTER COLUMN organisation_id SET NOT NULL",
    # An organisation's entries, newest first: the search reads them in that order.
    """CREATE INDEX IF NOT EXISTS documents_search_organisation
       ON documents_search (organisation_id, document_id)""",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS documents_search_organisation",
    "ALTER TABLE documents_search DROP COLUMN IF EXISTS organisation_id",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("documents", "0006_plan_versions")]

    operations = [
        migrations.RunPython(_run({"postgresql": POSTGRES_UP}), _run({"postgresql": POSTGRES_DOWN})),
    ]
