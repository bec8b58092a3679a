"""Full-text search of the GED, in French: the one module that knows how the index is kept.

Two engines behind the same functions, chosen by the database in use:

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
  is), with a GIN index, and the document's ``organisation_id`` with an
  ``(organisation_id, document_id)`` index; ranked by ``ts_rank``, excerpts by
  ``ts_headline`` under the ``documents_french`` configuration (unaccent then French
  stemming, so the accented original is highlighted). The vector is stored rather
  than computed by an expression index: ranking then reads it instead of re-parsing
  each hit.

Searching is bounded (decision 0010). Ranking reads the vector of every document it
ranks, and at a million documents a frequent word matches hundreds of thousands of
them: seconds. So only the newest matches are ranked together: the ``RANK_WINDOW``
most recently filed documents of the queryset matching every word, best first
(title above text, as ``ts_rank`` and ``bm25`` weigh them), then the next
``RANK_WINDOW``, and so on; no result lies deeper than ``SEARCH_DEPTH``. A search
with fewer matches than the window is ranked as a whole. The newest matches are
found without gathering them all: FTS5 reads its matches in rowid order; PostgreSQL
reads the newest entries of the actor's organisations in index order and tests each
(cheap when the words are frequent: ``WALK_FIRST`` entries, then up to ``WALK`` when
the share found says it costs less), and otherwise asks the GIN index for the older,
rarer matches; these statements are planned without parallel workers. The queryset
itself (tenancy, restricted nodes, shares, filters) is applied to these candidates by
primary key, so the scoping is exactly the selector's; when its filters keep too few
of them, its own documents are read newest first and looked up in the index, and as a
last resort the database joins the two.

The index never drifts from the data: ``document_index`` runs inside the
transaction that changes what is indexed (the document's creation, a metadata
change, the text of its current version), and ``reindex`` (``socle documents
reindex``) rewrites, set-based and batch by batch, whatever differs after a repair
made outside the services. Excerpts are HTML: the text is escaped and the matched
words wrapped in ``<mark>``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import snowballstemmer
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

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


def _extras(document: Document) -> str:
    # Metadata in key order: the set-based reindex (SQL) writes the same words in the same
    # positions, and ts_rank reads positions.
    values = [value for _, value in sorted(document.metadata.items()) if value is not None]
    return " ".join([*map(str, document.tags), *map(str, values), document.doc_type])


def _indexed_parts(document: Document) -> tuple[str, str]:
    text = ""
    if document.current_version_id:
        text = (DocumentText.objects.filter(version_id=document.current_version_id)
                .values_list("text", flat=True).first() or "")
    return document.title, _extras(document) + "\n" + text


# The vector of a document, in SQL: document_index and reindex must agree word for word.
_PG_VECTOR = ("setweight(to_tsvector('french', documents_unaccent({title})), 'A') || "
              "setweight(to_tsvector('french', documents_unaccent({body})), 'B')")


def document_index(document: Document) -> None:
    """Write the document's entry in the search index, inside the caller's transaction."""
    title, body = _indexed_parts(document)
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "INSERT INTO documents_search (document_id, organisation_id, vector) "  # noqa: S608
                f"VALUES (%s, %s, {_PG_VECTOR.format(title='%s', body='%s')}) "
                "ON CONFLICT (document_id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id, "
                "vector = EXCLUDED.vector",
                [document.pk, document.organisation_id, title, body])
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


# ---------------------------------------------------------------- rebuilding


@dataclass(frozen=True)
class Reindexed:
    documents: int
    rewritten: int
    orphans_removed: int


# _extras() in SQL: tags in their order, metadata values in key order, then the type.
_PG_BODY = (
    "concat_ws(' ', (SELECT string_agg(x.value, ' ' ORDER BY x.n) "
    "FROM jsonb_array_elements_text(d.tags) WITH ORDINALITY AS x(value, n)), "
    "(SELECT string_agg(m.value, ' ' ORDER BY m.key COLLATE \"C\") FROM jsonb_each_text(d.metadata) m), "
    "d.doc_type) || E'\\n' || coalesce(t.text, '')")
_SQLITE_BODY = (
    "coalesce((SELECT group_concat(value, ' ') FROM (SELECT value FROM json_each(d.tags) "
    "ORDER BY key)), '') || ' ' || coalesce((SELECT group_concat(value, ' ') FROM "
    "(SELECT value FROM json_each(d.metadata) WHERE value IS NOT NULL ORDER BY key)), '') "
    "|| ' ' || d.doc_type || char(10) || coalesce(t.text, '')")
_SOURCE = ("FROM documents_document d LEFT JOIN documents_documenttext t "
           "ON t.version_id = d.current_version_id")


def reindex(*, organisation_ids: Collection[int] | None = None, batch: int = 5000,
            progress: Callable[[int], None] | None = None) -> Reindexed:
    """Rewrite the index entries of every document (or of some organisations), set-based.

    Batch by batch, each in its own transaction that locks its documents first: a service
    changing one of them meanwhile waits, or is waited for and read afterwards. Only the
    entries that differ are written; entries of documents that no longer exist are removed.
    """
    from socle.core.journal import audit_record

    done = rewritten = 0
    last = 0
    documents = Document.objects.order_by("pk")
    if organisation_ids is not None:
        documents = documents.filter(organisation_id__in=list(organisation_ids))
    while True:
        with transaction.atomic():
            ids = list(documents.filter(pk__gt=last).select_for_update()
                       .values_list("pk", flat=True)[:batch])
            if not ids:
                break
            rewritten += _reindex_postgres(ids) if is_postgres() else _reindex_sqlite(ids)
        done += len(ids)
        last = ids[-1]
        if progress is not None:
            progress(done)
    with transaction.atomic(), connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("DELETE FROM documents_search s WHERE NOT EXISTS "
                           "(SELECT 1 FROM documents_document d WHERE d.id = s.document_id)")
        else:
            cursor.execute("DELETE FROM documents_fts WHERE rowid NOT IN "
                           "(SELECT id FROM documents_document)")
        orphans = max(cursor.rowcount, 0)
        result = Reindexed(done, rewritten, orphans)
        audit_record(actor=None, action="documents.reindex", data={
            "documents": done, "rewritten": rewritten, "orphans_removed": orphans,
            "organisations": sorted(organisation_ids) if organisation_ids is not None else "all"})
    return result


def _reindex_postgres(ids: list[int]) -> int:
    vector = _PG_VECTOR.format(title="d.title", body=_PG_BODY)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO documents_search (document_id, organisation_id, vector) "
            f"SELECT d.id, d.organisation_id, {vector} {_SOURCE} WHERE d.id = ANY(%s) "
            "ON CONFLICT (document_id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id, "
            "vector = EXCLUDED.vector "
            "WHERE documents_search.organisation_id <> EXCLUDED.organisation_id "
            "OR documents_search.vector <> EXCLUDED.vector", [ids])
        return max(cursor.rowcount, 0)


def _reindex_sqlite(ids: list[int]) -> int:
    connection.ensure_connection()
    # The stems are computed in Python (see the module's docstring): SQL calls them.
    connection.connection.create_function("documents_terms", 1, _terms, deterministic=True)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT fresh.id, fresh.title, fresh.body FROM (SELECT d.id AS id, "  # noqa: S608
            f"documents_terms(d.title) AS title, documents_terms({_SQLITE_BODY}) AS body "
            f"{_SOURCE} WHERE d.id IN ({marks})) fresh WHERE NOT EXISTS (SELECT 1 FROM "
            "documents_fts f WHERE f.rowid = fresh.id AND f.title = fresh.title "
            "AND f.body = fresh.body)", ids)
        stale = cursor.fetchall()
        if stale:
            marks = ", ".join(["%s"] * len(stale))
            cursor.execute(f"DELETE FROM documents_fts WHERE rowid IN ({marks})",  # noqa: S608
                           [row[0] for row in stale])
            cursor.executemany("INSERT INTO documents_fts (rowid, title, body) VALUES (%s, %s, %s)",
                               stale)
    return len(stale)


# ---------------------------------------------------------------- searching

# Ranking reads the vector of every document it ranks: only the newest RANK_WINDOW
# matches are ranked together (see the module's docstring), and no result lies deeper
# than SEARCH_DEPTH.
RANK_WINDOW = 500
SEARCH_DEPTH = 10_000
# The fewest newest matches read first; then, when the queryset's filters keep too few of
# them, how many of its documents are looked up in the index, by chunks, before the
# database is left to join the two.
MIN_CANDIDATES = 100
QUERYSET_CHUNK, QUERYSET_CHUNKS = 5000, 4
# PostgreSQL: entries read newest first and tested one by one, first WALK_FIRST, then up to
# WALK in all when that looks cheaper than the GIN index, by the costs measured per entry
# read and per match gathered by the index (microseconds, decision 0010).
WALK_FIRST, WALK = 5000, 30_000
WALK_ROW_COST, GIN_MATCH_COST = 1.3, 6.0


def search(documents: QuerySet[Document], query: str, *, limit: int = 20, offset: int = 0,
           organisations: Collection[int] | None = None) -> list[Hit]:
    """Rank the documents of an already scoped and filtered queryset against a French query.

    ``organisations``, when given, must hold the organisation of every document the
    queryset may return (more is harmless): candidates are then taken among their entries.
    """
    if not _query_words(query) or limit <= 0 or offset >= SEARCH_DEPTH:
        return []
    if organisations is not None and not organisations:
        return []
    limit = min(limit, SEARCH_DEPTH - offset)
    first_block = offset // RANK_WINDOW
    needed = ((offset + limit - 1) // RANK_WINDOW + 1) * RANK_WINDOW
    scores: dict[int, float] = {}
    ids = _newest_matches(documents, query, organisations, needed, scores)[first_block * RANK_WINDOW:]
    if not ids:
        return []
    # Ranked block by block: the newest RANK_WINDOW matches first, then the next ones.
    start = offset - first_block * RANK_WINDOW
    if is_postgres():
        return _rank_postgres(query, ids, limit, start)
    return _rank_sqlite(query, ids, scores, limit, start)


def _newest_matches(documents: QuerySet[Document], query: str,
                    organisations: Collection[int] | None, needed: int,
                    scores: dict[int, float]) -> list[int]:
    """Return the ids of the newest documents of the queryset matching the query, newest first.

    The newest matches are read first, a few more than needed, and kept when the
    queryset holds them. When its filters keep too few (a node, old dates), its own
    documents are read instead, newest first, and looked up in the index; and when
    even that does not find enough, the database joins the two.
    """
    wanted = max(MIN_CANDIDATES, needed * 11 // 10)
    candidates = _matches(query, organisations, wanted, scores)
    found = _visible(documents, candidates)
    if len(found) >= needed or len(candidates) < wanted:
        return found[:needed]
    judged = set(candidates)
    # The model's ordering, newest filed first: the date indexes serve it.
    newest_first = documents.values_list("pk", flat=True)
    for chunk in range(QUERYSET_CHUNKS):
        ids = list(newest_first[chunk * QUERYSET_CHUNK:(chunk + 1) * QUERYSET_CHUNK])
        found.extend(_indexed_matches(query, [pk for pk in ids if pk not in judged], scores))
        judged.update(ids)
        if len(ids) < QUERYSET_CHUNK or len(found) >= needed:
            return sorted(found, reverse=True)[:needed]
    subquery, params = documents.values("pk").query.sql_with_params()
    found.extend(_matches(query, organisations, needed, scores, within=(subquery, list(params))))
    return sorted(set(found), reverse=True)[:needed]


def _visible(documents: QuerySet[Document], ids: list[int]) -> list[int]:
    """Keep, in their order, the ids the queryset holds: its own conditions on these keys only."""
    visible = set(documents.filter(pk__in=_id_list(ids)).values_list("pk", flat=True)) if ids else set()
    return [pk for pk in ids if pk in visible]


def _indexed_matches(query: str, ids: list[int], scores: dict[int, float]) -> list[int]:
    """Return which of these documents match the query."""
    if not ids:
        return []
    if is_postgres():
        return _ids(f"SELECT document_id FROM documents_search WHERE document_id = ANY(%s) "  # noqa: S608
                    f"AND vector @@ {_TSQUERY}", [ids, query])
    with connection.cursor() as cursor:
        # "+rowid": the matches drive, each is looked up among the ids (see _matches).
        cursor.execute("SELECT rowid, -bm25(documents_fts, 5.0, 1.0) FROM documents_fts "
                       "WHERE documents_fts MATCH %s AND +rowid IN (SELECT value FROM json_each(%s))",
                       [_fts_match(query), json.dumps(ids)])
        rows = cursor.fetchall()
    scores.update((pk, float(score)) for pk, score in rows)
    return [pk for pk, _ in rows]


def _id_list(ids: list[int]) -> RawSQL:
    """A subquery of these ids: one parameter, however many they are."""
    if is_postgres():
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def _matches(query: str, organisations: Collection[int] | None, limit: int, scores: dict[int, float],
             *, within: tuple[str, list[Any]] | None = None) -> list[int]:
    """Return the ids of the newest entries matching the query.

    ``within``: Django's SQL of the scoped queryset and its parameters, to join. On
    SQLite, the matches' scores are added to ``scores`` (bm25 is only known while matching).
    """
    if is_postgres():
        return _matches_postgres(query, organisations, limit, within)
    # FTS5 reads its matches in rowid order: the newest come first, without a sort, and
    # bm25 is computed for the rows returned only.
    sql = "SELECT f.rowid, -bm25(documents_fts, 5.0, 1.0) FROM documents_fts f "
    params: list[Any] = []
    if organisations is not None:
        # CROSS JOIN: the matches drive, each one's document is looked up by its key.
        marks = ", ".join(["%s"] * len(organisations))
        sql += (f"CROSS JOIN documents_document d ON d.id = f.rowid "
                f"AND d.organisation_id IN ({marks}) ")
        params.extend(organisations)
    sql += "WHERE documents_fts MATCH %s "
    params.append(_fts_match(query))
    if within is not None:
        # "+rowid" keeps SQLite from driving the full-text match by the subquery
        # (which re-ran the match once per document: seconds at 20,000 documents).
        sql += f"AND +f.rowid IN ({within[0]}) "
        params.extend(within[1])
    with connection.cursor() as cursor:
        cursor.execute(sql + "ORDER BY f.rowid DESC LIMIT %s", [*params, limit])
        rows = cursor.fetchall()
    scores.update((pk, float(score)) for pk, score in rows)
    return [pk for pk, _ in rows]


_TSQUERY = "plainto_tsquery('french', documents_unaccent(%s))"


@contextmanager
def _serial_plans() -> Iterator[None]:
    """Plan the statements inside without parallel workers, then restore the setting."""
    # With workers, PostgreSQL gathers and sorts a small organisation's entries (30 ms,
    # and workers slow to start on a busy machine) where the walk in index order stops
    # as soon as it has enough (7 ms). SET LOCAL would outlive an enclosing transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_parallel_workers_per_gather'), "
                       "set_config('max_parallel_workers_per_gather', '0', true)")
        previous = cursor.fetchone()[0]
        yield
        cursor.execute("SELECT set_config('max_parallel_workers_per_gather', %s, true)", [previous])


def _matches_postgres(query: str, organisations: Collection[int] | None, limit: int,
                      within: tuple[str, list[Any]] | None) -> list[int]:
    with _serial_plans():
        return _matches_postgres_serial(query, organisations, limit, within)


def _matches_postgres_serial(query: str, organisations: Collection[int] | None, limit: int,
                             within: tuple[str, list[Any]] | None) -> list[int]:
    # Every piece of SQL below is a constant of this module, or Django's SQL of the
    # scoped queryset; values travel as parameters.
    scope, params = "", []
    if organisations is not None:
        organisations = list(organisations)
        # One organisation: its entries are read newest first from the (organisation,
        # document) index. PostgreSQL 15 keeps no order across the values of "= ANY".
        single = len(organisations) == 1
        scope += " AND s.organisation_id = %s" if single else " AND s.organisation_id = ANY(%s)"
        params.append(organisations[0] if single else organisations)
    if within is not None:
        return _ids(
            f"SELECT s.document_id FROM documents_search s WHERE s.vector @@ {_TSQUERY}{scope} "  # noqa: S608
            f"AND s.document_id IN ({within[0]}) ORDER BY s.document_id DESC LIMIT %s",
            [query, *params, *within[1], limit])
    # The newest entries are read in index order and tested one by one: cheap when the
    # words are frequent (a subquery's LIMIT keeps the planner from using the GIN index,
    # which would gather every match of a frequent word before keeping the newest).
    found, floor, walked = _walk(query, scope, params, limit, WALK_FIRST, None)
    if len(found) >= limit or walked < WALK_FIRST:
        return found
    # Fewer matches than wanted in the first entries: walk on, if the share found says it
    # will end soon and costs less than the GIN index reading every match in scope.
    share, rest = len(found) / walked, limit - len(found)
    if share and rest / share <= WALK - WALK_FIRST \
            and rest / share * WALK_ROW_COST <= share * _entries(walked) * GIN_MATCH_COST:
        more, floor, walked = _walk(query, scope, params, rest, WALK - WALK_FIRST, floor)
        found += more
        if len(found) >= limit or walked < WALK - WALK_FIRST:
            return found
    # Rarer words: the GIN index finds the older matches ("+ 0": no walk in index order).
    return found + _ids(
        f"SELECT s.document_id FROM documents_search s WHERE s.vector @@ {_TSQUERY}{scope} "  # noqa: S608
        "AND s.document_id < %s ORDER BY s.document_id + 0 DESC LIMIT %s",
        [query, *params, floor, limit - len(found)])


def _walk(query: str, scope: str, params: list[Any], limit: int, rows: int,
          below: int | None) -> tuple[list[int], int, int]:
    """Test the newest ``rows`` entries in scope (below an id); return the matches, and
    when fewer than ``limit``, the lowest id read and how many entries were read."""
    if below is not None:
        scope, params = scope + " AND s.document_id < %s", [*params, below]
    newest = ("SELECT s.document_id, s.vector FROM documents_search s "  # noqa: S608
              f"WHERE TRUE{scope} ORDER BY s.document_id DESC LIMIT %s")
    found = _ids(f"SELECT w.document_id FROM ({newest}) w WHERE w.vector @@ {_TSQUERY} "  # noqa: S608
                 "ORDER BY w.document_id DESC LIMIT %s", [*params, rows, query, limit])
    if len(found) >= limit:
        return found, found[-1], rows
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(w.document_id), count(*) FROM ({newest}) w",  # noqa: S608
                       [*params, rows])
        floor, walked = cursor.fetchone()
    return found, floor, walked


def _entries(at_least: int) -> float:
    """Return the planner's count of index entries (at least those just read)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'documents_search'::regclass")
        return max(float(cursor.fetchone()[0]), float(at_least))


def _ids(sql: str, params: list[Any]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _rank_sqlite(query: str, ids: list[int], scores: dict[int, float], limit: int,
                 offset: int) -> list[Hit]:
    block = {pk: position // RANK_WINDOW for position, pk in enumerate(ids)}
    page = sorted(ids, key=lambda pk: (block[pk], -scores[pk], -pk))[offset:offset + limit]
    texts = _texts_of(page)
    wanted = {variant for word in _query_words(query) for variant in word_variants(word)}
    return [Hit(pk, scores[pk], _excerpt(texts.get(pk, ""), wanted)) for pk in page]


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


def _rank_postgres(query: str, ids: list[int], limit: int, offset: int) -> list[Hit]:
    sql = (
        "WITH q AS (SELECT plainto_tsquery('french', documents_unaccent(%s)) AS query), "
        "chosen AS (SELECT c.document_id, (c.n - 1) / %s AS block "
        "  FROM unnest(%s::bigint[]) WITH ORDINALITY AS c(document_id, n)), "
        "hits AS (SELECT chosen.document_id, chosen.block, ts_rank(s.vector, q.query) AS score "
        "  FROM chosen JOIN documents_search s ON s.document_id = chosen.document_id CROSS JOIN q "
        "  ORDER BY chosen.block, score DESC, chosen.document_id DESC LIMIT %s OFFSET %s) "
        "SELECT hits.document_id, hits.score, ts_headline('documents_french', "
        "  d.title || E'\\n' || left(coalesce(t.text, ''), 100000), q.query, "
        "  'StartSel=\"\x02\", StopSel=\"\x03\", MaxWords=30, MinWords=12, MaxFragments=2, "
        "FragmentDelimiter=\" … \"') "
        "FROM hits JOIN documents_document d ON d.id = hits.document_id CROSS JOIN q "
        "LEFT JOIN documents_documenttext t ON t.version_id = d.current_version_id "
        "ORDER BY hits.block, hits.score DESC, hits.document_id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, RANK_WINDOW, ids, limit, offset])
        rows = cursor.fetchall()
    return [Hit(row[0], float(row[1]), _marked(row[2] or "")) for row in rows]


def _marked(headline: str) -> str:
    escaped = html.escape(" ".join(headline.split()))
    return escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")
