"""Full-text search of the GED, in French: the one module that knows how the index is kept.

Two engines behind the same three functions, chosen by the database in use:

- SQLite: an FTS5 table ``documents_fts`` (rowid = document id) with
  ``tokenize="unicode61 remove_diacritics 2"``. FTS5 has no French stemmer and
  Python's sqlite3 cannot register a tokenizer, so words are stemmed here, with
  the Snowball French stemmer (package ``snowballstemmer``, the algorithm
  PostgreSQL's ``french`` configuration uses), at index and at query time alike.
  Snowball is not accent-blind ("archivées" → "archiv" but "archivees" →
  "archive"), so each word is indexed under both its stem without accents and the
  stem of its unaccented form, and a query word matches either. Excerpts are cut
  and highlighted here from the stored text (the index holds stems only).
- PostgreSQL: a table ``documents_search`` holding one ``tsvector`` per document,
  ``to_tsvector('french', documents_unaccent(...))`` (an immutable wrapper of
  ``unaccent``, which Postgres will not use in an index or a generated value as
  is), with a GIN index; ranked by ``ts_rank``, excerpts by ``ts_headline`` under
  the ``documents_french`` configuration (unaccent then French stemming, so the
  accented original is highlighted). The vector is stored rather than computed by
  an expression index: ranking then reads it instead of re-parsing each hit.

The index never drifts from the data: ``document_index`` runs inside the
transaction that changes what is indexed (the document's creation, a metadata
change, the text of its current version). Excerpts are HTML: the text is escaped
and the matched words wrapped in ``<mark>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import snowballstemmer
from django.db import connection
from django.db.models import QuerySet

from .models import Document, DocumentText
from .naming import ascii_fold

WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 12
EXCERPT_WORDS = 30
_START, _STOP = "\x02", "\x03"


@dataclass(frozen=True)
class Hit:
    document_id: int
    score: float
    excerpt: str


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# ---------------------------------------------------------------- French stems (SQLite)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    return snowballstemmer.stemmer("french")


@lru_cache(maxsize=100_000)
def word_variants(word: str) -> tuple[str, ...]:
    """Return the index terms of one word: its stem, accents dropped, both ways round."""
    word = word.lower()
    stemmer = _stemmer()
    return tuple(sorted({ascii_fold(stemmer.stemWord(word)), stemmer.stemWord(ascii_fold(word))}))


def _terms(text: str) -> str:
    return " ".join(" ".join(word_variants(word)) for word in WORD.findall(text) if len(word) <= 40)


def _query_words(query: str) -> list[str]:
    return [word for word in WORD.findall(query.lower()) if len(word) <= 40][:MAX_QUERY_WORDS]


def _fts_match(query: str) -> str:
    groups = []
    for word in _query_words(query):
        # Quoted: a word is a term, never FTS5 syntax (NEAR, column filters, ...).
        variants = " OR ".join(f'"{variant}"' for variant in word_variants(word))
        groups.append(f"({variants})")
    return " AND ".join(groups)


# ---------------------------------------------------------------- indexing


def _indexed_parts(document: Document) -> tuple[str, str]:
    text = ""
    if document.current_version_id:
        text = (DocumentText.objects.filter(version_id=document.current_version_id)
                .values_list("text", flat=True).first() or "")
    extras = [*map(str, document.tags), *map(str, document.metadata.values()), document.doc_type]
    return document.title, " ".join(extras) + "\n" + text


def document_index(document: Document) -> None:
    """Write the document's entry in the search index, inside the caller's transaction."""
    title, body = _indexed_parts(document)
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "INSERT INTO documents_search (document_id, vector) VALUES (%s, "
                " setweight(to_tsvector('french', documents_unaccent(%s)), 'A') || "
                " setweight(to_tsvector('french', documents_unaccent(%s)), 'B')) "
                "ON CONFLICT (document_id) DO UPDATE SET vector = EXCLUDED.vector",
                [document.pk, title, body])
        else:
            cursor.execute("DELETE FROM documents_fts WHERE rowid = %s", [document.pk])
            cursor.execute("INSERT INTO documents_fts (rowid, title, body) VALUES (%s, %s, %s)",
                           [document.pk, _terms(title), _terms(body)])


def document_unindex(document_id: int) -> None:
    """Remove a document from the index (its destruction), inside the caller's transaction."""
    table, column = ("documents_search", "document_id") if is_postgres() else ("documents_fts", "rowid")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [document_id])  # noqa: S608


def indexed_ids(ids: Iterable[int]) -> set[int]:
    """Return which of these documents have an index entry (for consistency checks)."""
    ids = list(ids)
    if not ids:
        return set()
    table, column = ("documents_search", "document_id") if is_postgres() else ("documents_fts", "rowid")
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", ids)  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


# ---------------------------------------------------------------- searching


def search(documents: QuerySet[Document], query: str, *, limit: int = 20, offset: int = 0) -> list[Hit]:
    """Rank the documents of an already scoped and filtered queryset against a French query."""
    if not _query_words(query):
        return []
    subquery, sub_params = documents.values("pk").query.sql_with_params()
    if is_postgres():
        return _search_postgres(query, subquery, list(sub_params), limit, offset)
    return _search_sqlite(query, subquery, list(sub_params), limit, offset)


def _search_sqlite(query: str, subquery: str, params: list[Any], limit: int, offset: int) -> list[Hit]:
    sql = (
        "SELECT rowid, -bm25(documents_fts, 5.0, 1.0) AS score FROM documents_fts "  # noqa: S608
        # "+rowid" keeps SQLite from driving the full-text match by the subquery
        # (which re-ran the match once per document: seconds at 20,000 documents).
        f"WHERE documents_fts MATCH %s AND +rowid IN ({subquery}) "
        "ORDER BY score DESC, rowid DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_fts_match(query), *params, limit, offset])
        rows = cursor.fetchall()
    texts = _texts_of([row[0] for row in rows])
    wanted = {variant for word in _query_words(query) for variant in word_variants(word)}
    return [Hit(row[0], float(row[1]), _excerpt(texts.get(row[0], ""), wanted))
            for row in rows]


def _texts_of(document_ids: list[int]) -> dict[int, str]:
    rows = Document.objects.filter(pk__in=document_ids).values_list("pk", "title",
                                                                    "current_version__text__text")
    return {pk: f"{title}\n{text or ''}" for pk, title, text in rows}


def _excerpt(text: str, wanted: set[str]) -> str:
    """Cut a window of the text around the first matched word and mark every matched word."""
    # A bounded head: an excerpt needs no more, and a 2 MB text must not cost every hit.
    text = text[:200_000]
    tokens = list(WORD.finditer(text))
    matched = [i for i, token in enumerate(tokens) if set(word_variants(token.group())) & wanted]
    if not tokens:
        return ""
    first = matched[0] if matched else 0
    start_token = max(0, first - EXCERPT_WORDS // 3)
    end_token = min(len(tokens) - 1, start_token + EXCERPT_WORDS)
    start, end = tokens[start_token].start(), tokens[end_token].end()
    out, position = [], start
    marked = set(matched)
    for index in range(start_token, end_token + 1):
        token = tokens[index]
        out.append(html.escape(text[position:token.start()]))
        word = html.escape(token.group())
        out.append(f"<mark>{word}</mark>" if index in marked else word)
        position = token.end()
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + " ".join("".join(out).split()) + suffix


def _search_postgres(query: str, subquery: str, params: list[Any], limit: int, offset: int) -> list[Hit]:
    sql = (
        # The subquery is Django's own SQL of the scoped queryset, with its parameters.
        "WITH q AS (SELECT plainto_tsquery('french', documents_unaccent(%s)) AS query), "  # noqa: S608
        "hits AS (SELECT s.document_id, ts_rank(s.vector, q.query) AS score "
        "  FROM documents_search s, q WHERE s.vector @@ q.query "
        f"  AND s.document_id IN ({subquery}) "
        "  ORDER BY score DESC, s.document_id DESC LIMIT %s OFFSET %s) "
        "SELECT hits.document_id, hits.score, ts_headline('documents_french', "
        "  d.title || E'\\n' || left(coalesce(t.text, ''), 100000), q.query, "
        "  'StartSel=\"\x02\", StopSel=\"\x03\", MaxWords=30, MinWords=12, MaxFragments=2, "
        "FragmentDelimiter=\" … \"') "
        "FROM hits JOIN documents_document d ON d.id = hits.document_id CROSS JOIN q "
        "LEFT JOIN documents_documenttext t ON t.version_id = d.current_version_id "
        "ORDER BY hits.score DESC, hits.document_id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, *params, limit, offset])
        rows = cursor.fetchall()
    return [Hit(row[0], float(row[1]), _marked(row[2] or "")) for row in rows]


def _marked(headline: str) -> str:
    escaped = html.escape(" ".join(headline.split()))
    return escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")
