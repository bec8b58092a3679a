"""The full-text index: FTS5 on SQLite, tsvector + GIN (french, unaccent) on PostgreSQL.

See socle/documents/search.py. Each branch runs only on its own database.
"""

from django.db import migrations

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is STABLE (its dictionary could change): the wrapper pins the dictionary
    # so it may be declared IMMUTABLE and used in indexes and stored values.
    """CREATE OR REPLACE FUNCTION documents_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'documents_french') THEN
           CREATE TEXT SEARCH CONFIGURATION documents_french (COPY = french);
           ALTER TEXT SEARCH CONFIGURATION documents_french
             ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
         END IF;
       END $$""",
    """CREATE TABLE IF NOT EXISTS documents_search (
         document_id bigint PRIMARY KEY,
         vector tsvector NOT NULL)""",
    # No foreign key: Django's flush (TRUNCATE) would refuse a table referenced by one it
    # does not know. Entries go with their document through search.document_unindex, and a
    # stale one is harmless: every search is joined to the scoped documents.
    "CREATE INDEX IF NOT EXISTS documents_search_vector ON documents_search USING gin (vector)",
]
POSTGRES_DOWN = [
    "DROP TABLE IF EXISTS documents_search",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS documents_french",
    "DROP FUNCTION IF EXISTS documents_unaccent(text)",
]
SQLITE_UP = [
    'CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5('
    'title, body, tokenize="unicode61 remove_diacritics 2")',
]
SQLITE_DOWN = ["DROP TABLE IF EXISTS documents_fts"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
