"""GED: ingest rate and full-text search latency, against the bare database query.

Each engine runs in a child process of its own (``python -m bench.documents --worker``)
with its own settings: SQLite in a temporary data directory, PostgreSQL in a
throwaway database created for the run and dropped at the end. The child migrates
with the project's migrations, loads the ARC territory and the reference file plan,
then:

- ingest: ``document_create`` on a sample of generated French text files, once
  without the extraction (the task is only queued, as in production) and once
  followed by ``version_text_extract`` (what the worker's task runs);
- fill: the corpus is completed to its full size with set-based inserts of documents,
  versions and texts (COPY on PostgreSQL), spread over ten years, a quarter at the
  ARC and the rest in the communes by population, then indexed by ``search.reindex``
  (the operator's set-based rebuild), because ``document_create`` stores a blob and
  journals each document: one million of them would take hours on this machine;
- search: about fifty French queries, each timed (``perf_counter``) through the
  ``documents_search`` selector for an agent of the ARC, who sees every document, and
  through the bare full-text query on all the documents (FTS5 ``MATCH`` ranked by
  ``bm25``, or ``@@`` ranked by ``ts_rank`` on the same ``tsvector`` column and its GIN
  index, ``LIMIT 20``), alternately, so that both see the same load. The ratio is the
  search module's overhead, or its gain: the module ranks only the newest matches
  (``search.RANK_WINDOW``) where the bare query ranks them all. Agents of Compiègne
  and of Armancourt (a large and a small commune) are timed too, in the same loop.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
AIM_P99_MS = 100.0
AIM_RATIO = 2.0
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "socle_bench_documents"

# ---------------------------------------------------------------- French text, generated

NOUNS = [
    "délibération", "conseil municipal", "conseil communautaire", "marché public", "subvention",
    "voirie", "budget primitif", "compte administratif", "décision modificative", "avenant",
    "convention", "arrêté", "permis de construire", "déclaration préalable", "cimetière",
    "école maternelle", "restauration scolaire", "centre communal d'action sociale", "régie",
    "taxe foncière", "dotation globale de fonctionnement", "emprunt", "garantie d'emprunt",
    "plan local d'urbanisme", "zone d'activités", "assainissement", "eau potable",
    "collecte des déchets", "transport scolaire", "piscine intercommunale", "médiathèque",
    "salle polyvalente", "éclairage public", "aménagement", "travaux de réfection", "trottoir",
    "chaussée", "parking", "giratoire", "piste cyclable", "acquisition foncière", "cession",
    "bail commercial", "régie de recettes", "indemnité", "personnel communal", "agent titulaire",
    "contrat à durée déterminée", "tableau des effectifs", "formation", "appel d'offres",
    "procédure adaptée", "cahier des clauses administratives particulières", "titulaire",
    "offre", "candidature", "attribution", "pénalités de retard", "réception des travaux",
    "décompte général", "maîtrise d'œuvre", "bureau de contrôle", "commission d'appel d'offres",
    "rapport d'orientation budgétaire", "tarifs municipaux", "association sportive",
    "comité des fêtes", "jumelage", "patrimoine", "église", "mairie annexe", "archives",
    "état civil", "recensement", "élections", "bureau de vote", "police municipale",
    "vidéoprotection", "stationnement", "marché hebdomadaire", "fourrière", "espaces verts",
]
VERBS = [
    "approuve", "autorise", "décide", "adopte", "attribue", "rejette", "prend acte de",
    "sollicite", "fixe", "modifie", "renouvelle", "délègue", "valide", "arrête", "constate",
]
QUALIFIERS = [
    "pour l'exercice 2024", "pour l'année 2025", "à l'unanimité", "par 18 voix pour et 3 abstentions",
    "selon le rapport du maire", "après avis de la commission des finances", "en séance publique",
    "sur proposition du président", "dans la limite des crédits inscrits", "au titre de l'année",
    "conformément au code général des collectivités territoriales", "pour une durée de trois ans",
    "pour un montant de 45 000 euros hors taxes", "à compter du 1er janvier",
]
PLACES = [
    "Compiègne", "Margny-lès-Compiègne", "Venette", "Lacroix-Saint-Ouen", "Choisy-au-Bac",
    "Clairoix", "Jaux", "Armancourt", "Le Meux", "Bienville", "Janville", "Jonquières",
    "Saint-Sauveur", "Vieux-Moulin", "Saint-Jean-aux-Bois", "rue de Paris", "avenue de la gare",
    "quartier du Clos des Roses", "place de l'hôtel de ville",
]
TITLE_PATTERNS = [
    "Délibération relative {de} {noun}", "Arrêté portant {noun}", "Rapport sur {de} {noun}",
    "Convention de {noun} avec {place}", "Marché de {noun} — {place}", "Compte rendu : {noun}",
]


def _de(noun: str) -> str:
    return "à l'" if noun[0] in "aeiouéèêhœ" else "au "


def _sentence(rng: random.Random) -> str:
    noun, other = rng.choice(NOUNS), rng.choice(NOUNS)
    parts = [f"Le conseil {rng.choice(VERBS)} {'l' if noun[0] in 'aeiouéèêœ' else 'le '}"
             f"{noun if noun[0] not in 'aeiouéèêœ' else chr(39) + noun}",
             f"concernant {other}", rng.choice(QUALIFIERS)]
    if rng.random() < 0.5:
        parts.append(f"à {rng.choice(PLACES)}")
    if rng.random() < 0.3:
        parts.append(f"pour un montant de {rng.randint(1, 900) * 1000} euros")
    return " ".join(parts) + "."


class Corpus:
    """Deterministic French documents: a pool of sentences, drawn 3 to 40 at a time."""

    def __init__(self, seed: int = 2024) -> None:
        self.rng = random.Random(seed)
        self.sentences = [_sentence(self.rng) for _ in range(20_000)]

    def title(self) -> str:
        noun = self.rng.choice(NOUNS)
        return self.rng.choice(TITLE_PATTERNS).format(noun=noun, de=_de(noun).strip() or "au",
                                                      place=self.rng.choice(PLACES))

    def text(self) -> str:
        count = int(self.rng.lognormvariate(2.3, 0.7)) + 3
        return " ".join(self.rng.choices(self.sentences, k=min(count, 120)))


def queries(seed: int = 7) -> list[str]:
    """About fifty searches an agent would type: one to three words, common and rare."""
    rng = random.Random(seed)
    fixed = ["délibération budget primitif", "marché public voirie", "subvention association",
             "conseil municipal", "permis de construire", "éclairage public Compiègne",
             "garantie d'emprunt", "piscine", "cimetière", "jumelage", "fourrière",
             "vidéoprotection", "maîtrise d'œuvre", "pénalités de retard", "decompte general",
             "délibérations", "subventions", "archives", "recensement", "Venette travaux"]
    words = [w for noun in NOUNS for w in noun.replace("'", " ").split() if len(w) > 3]
    while len(fixed) < 50:
        fixed.append(" ".join(rng.sample(words, rng.choice([1, 2, 2, 3]))))
    return fixed


# ---------------------------------------------------------------- the child process


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _latency(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(_percentile(values, 0.5) * 1000, 3),
            "p99_ms": round(_percentile(values, 0.99) * 1000, 3),
            "mean_ms": round(statistics.fmean(values) * 1000, 3),
            "max_ms": round(max(values) * 1000, 3)}


def _setup() -> Any:
    from django.core.management import call_command

    from socle.core.models import Organisation
    from socle.core.territory import territory_load
    from socle.documents.demo import NODES
    from socle.documents.models import FilePlanNode
    from socle.documents.services import node_create, plan_create

    call_command("migrate", verbosity=0, interactive=False)
    territory_load(actor=None, path=REPO / "socle" / "core" / "data" / "territory" / "arc.json")
    arc = Organisation.objects.get(slug="arc")
    plan = plan_create(actor=None, organisation=arc, code="arc-reference", title="Plan de référence")
    created: dict[str, FilePlanNode] = {}
    for code, parent, title, period, unit, start, action, access, naming, types in NODES:
        created[code] = node_create(actor=None, plan=plan, code=code, title=title,
                                    parent=created.get(parent), retention_period=period,
                                    retention_unit=unit, retention_start_event=start,
                                    final_action=action, access_rule=access, naming_rule=naming,
                                    document_types=types)
    # Nodes that need no typed metadata and no particular role: any document may be filed
    # there as is, and every agent of its organisation sees it.
    free = [node for node in created.values() if not node.document_types and node.parent_id
            and not node.access_rule.startswith("restricted:")]
    return arc, free


def _owners(arc: Any) -> tuple[list[Any], list[float]]:
    """The ARC holds a quarter of the documents, the communes the rest by population."""
    from socle.core.models import Organisation

    communes = list(Organisation.objects.filter(parent=arc).order_by("slug"))
    population = sum(c.population or 500 for c in communes)
    return [arc, *communes], [0.25, *(0.75 * (c.population or 500) / population for c in communes)]


def _ingest(corpus: Corpus, arc: Any, nodes: list[Any], count: int, extract: bool) -> dict[str, Any]:
    from django.db import transaction

    from socle.documents.services import document_create, version_text_extract

    started = time.perf_counter()
    for index in range(count):
        # Unique content: the blob store keeps one file per SHA-256.
        body = f"{corpus.title()}\n{corpus.text()}\nRéf. {extract}-{index}\n".encode()
        with transaction.atomic():
            document = document_create(actor=None, organisation=arc,
                                       node_code=nodes[index % len(nodes)].code,
                                       stream=[body], file_name=f"document-{index}.txt")
        if extract:
            assert document.current_version_id is not None
            version_text_extract(version_id=document.current_version_id)
    seconds = time.perf_counter() - started
    return {"documents": count, "seconds": round(seconds, 2),
            "documents_per_second": round(count / seconds, 1)}


class _Table:
    """Rows of one model, ids included: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, model: Any) -> None:
        from django.db import connection

        quote = connection.ops.quote_name
        self.fields = list(model._meta.concrete_fields)
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.adapters = [self._adapter(f) for f in self.fields]
        self.columns = ", ".join(quote(f.column) for f in self.fields)
        self.table = quote(model._meta.db_table)

    @staticmethod
    def _adapter(f: Any) -> Any:
        from django.db import connection

        ops = connection.ops
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            return ops.adapt_datetimefield_value
        if kind == "DateField":
            return ops.adapt_datefield_value
        if kind == "JSONField":
            return lambda value: ops.adapt_json_value(value, None)
        return lambda value: value

    def write(self, rows: list[dict[str, Any]]) -> None:
        from django.db import connection

        values = [[adapt({**self.defaults, **row}[f.attname])
                   for f, adapt in zip(self.fields, self.adapters, strict=True)] for row in rows]
        if connection.vendor == "postgresql":
            with connection.connection.cursor() as cursor, cursor.copy(
                    f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(self.fields))
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {self.table} ({self.columns}) "  # noqa: S608
                                   f"VALUES ({marks})", values)


def _fill(corpus: Corpus, arc: Any, nodes: list[Any], target: int) -> dict[str, Any]:
    """Complete the corpus to ``target`` documents with set-based inserts, then index it.

    Documents, versions and texts go in by COPY (executemany on SQLite) 20,000 at a time,
    spread over ten years and over the ARC and its communes; the index is then built by
    ``search.reindex``, the operator's set-based rebuild.
    """
    from datetime import timedelta

    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from socle.core.models import Blob
    from socle.documents import search
    from socle.documents.models import Document, DocumentText, DocumentVersion, TextStatus

    have = Document.objects.count()
    missing = max(0, target - have)
    blob, _ = Blob.objects.get_or_create(sha256="0" * 64, defaults={"size": 1,
                                                                    "mime_type": "text/plain"})
    owners, weights = _owners(arc)
    rng = random.Random(11)
    tables = {model: _Table(model) for model in (Document, DocumentVersion, DocumentText)}
    next_document = (Document.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    next_version = (DocumentVersion.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    now = timezone.now()
    step = timedelta(days=3650) / max(missing, 1)
    batch = 20_000
    started = time.perf_counter()
    done = 0
    while done < missing:
        size = min(batch, missing - done)
        documents, versions, texts = [], [], []
        for i in range(size):
            moment = now - step * (missing - done - i)
            owner = rng.choices(owners, weights)[0]
            documents.append({"id": next_document, "organisation_id": owner.pk,
                              "node_id": nodes[(done + i) % len(nodes)].pk, "title": corpus.title(),
                              "created_at": moment, "updated_at": moment, "text_indexed": True,
                              "current_version_id": next_version})
            versions.append({"id": next_version, "document_id": next_document, "number": 1,
                             "blob_id": blob.pk, "original_name": "texte.txt", "name": "texte.txt",
                             "size": 1, "mime_type": "text/plain", "created_at": moment,
                             "text_status": TextStatus.DONE})
            texts.append({"version_id": next_version, "text": corpus.text(), "extracted_at": moment})
            next_document += 1
            next_version += 1
        with transaction.atomic():
            # The document points at its version before the version exists: PostgreSQL's
            # foreign keys are checked at commit, and SQLite's once told to defer them.
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA defer_foreign_keys = ON")
            tables[Document].write(documents)
            tables[DocumentVersion].write(versions)
            tables[DocumentText].write(texts)
        done += size
        if done % 100_000 < batch:
            print(f"    {have + done} documents…", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Document, DocumentVersion]):
            cursor.execute(statement)
    inserted = time.perf_counter()

    def progress(count: int) -> None:
        if count % 100_000 < 5000:
            print(f"    {count} documents indexés…", file=sys.stderr, flush=True)

    rebuilt = search.reindex(progress=progress)
    indexed = time.perf_counter()
    with connection.cursor() as cursor:
        # The steady state of a database that grew over years (see bench/portal_seed.py).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    ended = time.perf_counter()
    insert_seconds, index_seconds = inserted - started, indexed - inserted
    return {"documents_added": missing, "insert_seconds": round(insert_seconds, 1),
            "inserted_per_second": round(missing / insert_seconds, 1) if missing else None,
            "index_documents": rebuilt.documents, "index_seconds": round(index_seconds, 1),
            "indexed_per_second": round(rebuilt.documents / index_seconds, 1),
            "analyze_seconds": round(ended - indexed, 1)}


def _bare(query: str) -> tuple[str, list[Any]]:
    from django.db import connection

    from socle.documents import search

    if connection.vendor == "postgresql":
        return ("SELECT s.document_id, ts_rank(s.vector, q.query) AS score "
                "FROM documents_search s, plainto_tsquery('french', documents_unaccent(%s)) q(query) "
                "WHERE s.vector @@ q.query ORDER BY score DESC LIMIT 20", [query])
    # The index holds stems: the bare query needs the same terms, prepared outside the timing.
    return ("SELECT rowid, -bm25(documents_fts, 5.0, 1.0) AS score FROM documents_fts "
            "WHERE documents_fts MATCH %s ORDER BY score DESC LIMIT 20", [search._fts_match(query)])


# Whose searches are timed: an agent of the ARC sees every document (the bare query's
# data); a large and a small commune's agents see their own.
AGENTS = ("arc", "compiegne", "armancourt")


def _agents() -> dict[str, Any]:
    from socle.core.models import Organisation, User
    from socle.core.services import membership_grant

    agents = {}
    for slug in AGENTS:
        user = User.objects.create(email=f"ged.{slug}@bench.socle.fr", first_name="Agent",
                                   last_name=slug)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        membership_grant(actor=None, user=user, organisation=Organisation.objects.get(slug=slug),
                         role="documents.reader")
        agents[slug] = user
    return agents


def _search(rounds: int, budget: float) -> dict[str, Any]:
    from django.db import connection

    from socle.core.models import User
    from socle.documents import search
    from socle.documents.selectors import SearchFilters, documents_for, documents_search

    agents = _agents()
    asked = queries()
    prepared = [_bare(query) for query in asked]
    timings: dict[str, list[float]] = {slug: [] for slug in AGENTS}
    bare: list[float] = []
    hits = 0
    # A few unrecorded queries first: the caches warm up, the connection is open.
    plan = [(False, i) for i in range(5)] + [(True, i) for _ in range(rounds)
                                             for i in range(len(asked))]
    began = time.perf_counter()
    stopped_early = False
    with connection.cursor() as cursor:
        for recorded, index in plan:
            if recorded and bare and time.perf_counter() - began > budget:
                stopped_early = True
                break
            for slug, agent in agents.items():
                # A fresh user object per request, as a request would load it.
                user = User.objects.get(pk=agent.pk)
                started = time.perf_counter()
                found = documents_search(actor=user, filters=SearchFilters(q=asked[index]), limit=20)
                if recorded:
                    timings[slug].append(time.perf_counter() - started)
                    hits += len(found) if slug == "arc" else 0
            sql, params = prepared[index]
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            if recorded:
                bare.append(time.perf_counter() - started)
    module = timings["arc"]
    result: dict[str, Any] = {
        "queries": len(asked), "rounds": rounds, "samples": len(module),
        "stopped_by_time_budget": stopped_early, "time_budget_seconds": budget,
        "rank_window": search.RANK_WINDOW, "mean_hits": round(hits / len(module), 1),
        "search_module": _latency(module), "bare_query": _latency(bare),
        "by_agent": {slug: {"visible_documents": documents_for(actor=agent).count(),
                            **_latency(timings[slug])} for slug, agent in agents.items()},
    }
    result["ratios"] = {
        "p50_module_vs_bare": round(result["search_module"]["p50_ms"] / result["bare_query"]["p50_ms"], 2),
        "p99_module_vs_bare": round(result["search_module"]["p99_ms"] / result["bare_query"]["p99_ms"], 2),
    }
    return result


def worker(config: dict[str, Any]) -> dict[str, Any]:
    os.environ["DJANGO_SETTINGS_MODULE"] = "socle.settings"
    import django

    django.setup()
    from django.db import connection

    corpus = Corpus()
    arc, nodes = _setup()
    sample = config["ingest"]
    result: dict[str, Any] = {"vendor": connection.vendor}
    if sample:
        print(f"  [{connection.vendor}] ingestion de {sample} documents, deux fois…", file=sys.stderr)
        result["ingest"] = {
            "without_extraction": _ingest(corpus, arc, nodes, sample, extract=False),
            "with_extraction": _ingest(corpus, arc, nodes, sample, extract=True),
        }
    print(f"  [{connection.vendor}] remplissage jusqu'à {config['size']} documents…",
          file=sys.stderr)
    result["fill"] = _fill(corpus, arc, nodes, config["size"])
    from socle.documents.models import Document

    result["documents"] = Document.objects.count()
    print(f"  [{connection.vendor}] recherches…", file=sys.stderr)
    result["search"] = _search(config["rounds"], config["budget"])
    return result


# ---------------------------------------------------------------- the parent


def _run_worker(env: dict[str, str], config: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bench.documents", "--worker", json.dumps(config)],
                          cwd=REPO, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"le processus de mesure a échoué (code {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout)
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    return result


def _postgres_admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def _base_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SOCLE_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"SOCLE_DATA_DIR": str(data_dir), "SOCLE_SECRET_KEY": "bench-" + "x" * 50,
                "SOCLE_LOG_LEVEL": "WARNING", "SOCLE_DEBUG": "0"})
    return env


def run() -> dict[str, Any]:
    sizes = {"sqlite": int(os.environ.get("BENCH_DOCS_SQLITE", "100000")),
             "postgresql": int(os.environ.get("BENCH_DOCS_PG", "1000000"))}
    ingest = int(os.environ.get("BENCH_DOCS_INGEST", "500"))
    rounds = int(os.environ.get("BENCH_DOCS_ROUNDS", "4"))
    # Seconds of recorded searches per engine, at most: a slow engine still ends.
    budget = float(os.environ.get("BENCH_DOCS_SEARCH_SECONDS", "600"))
    server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    engines: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="socle-bench-documents-") as tmp:
        if sizes["sqlite"]:
            data = Path(tmp) / "sqlite"
            data.mkdir()
            engines["sqlite"] = _run_worker(_base_env(data), {"size": sizes["sqlite"],
                                                              "ingest": ingest, "rounds": rounds,
                                                              "budget": budget})
        if sizes["postgresql"]:
            data = Path(tmp) / "postgresql"
            data.mkdir()
            env = _base_env(data)
            env["SOCLE_DATABASE_URL"] = urlunsplit(urlsplit(server)._replace(path=f"/{BENCH_DB}"))
            _postgres_admin(server, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            _postgres_admin(server, f'CREATE DATABASE "{BENCH_DB}"')
            try:
                engines["postgresql"] = _run_worker(env, {"size": sizes["postgresql"],
                                                          "ingest": ingest, "rounds": rounds,
                                                              "budget": budget})
            finally:
                _postgres_admin(server, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    result: dict[str, Any] = {
        "benchmark": "documents",
        "sizes": sizes,
        "ingest_sample": ingest,
        "method": (
            "ingest: document_create (blob, rows, index, journal, task queued) on a sample of "
            "generated French .txt files, then the same followed by version_text_extract (the "
            "extraction task's work); fill: the rest of the corpus by set-based inserts of "
            "documents, versions and texts (COPY on PostgreSQL), indexed by search.reindex; "
            "search: the documents_search selector for an agent of the ARC (every document "
            "visible) vs the bare FTS5 MATCH/bm25 (SQLite) or @@/ts_rank (PostgreSQL) on the "
            "same index, LIMIT 20, alternated query by query; agents of Compiègne and "
            "Armancourt timed in the same loop"),
        "engines": engines,
        "aims": {"postgresql_p99_ms_at_1m": AIM_P99_MS, "max_ratio_to_bare": AIM_RATIO},
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    pg = engines.get("postgresql", {}).get("search")
    if pg:
        result["aim_met"] = {
            "p99_under_100ms": pg["search_module"]["p99_ms"] < AIM_P99_MS,
            "at_size": engines["postgresql"]["documents"],
            "ratio_at_most_2": all(engine["search"]["ratios"]["p99_module_vs_bare"] <= AIM_RATIO
                                   for engine in engines.values()),
        }
    return result


def summary(result: dict[str, Any]) -> list[str]:
    lines = []
    for name, engine in result["engines"].items():
        search = engine["search"]
        if "ingest" in engine:
            lines.append(
                f"  {name} : ingestion {engine['ingest']['without_extraction']['documents_per_second']}"
                f" doc/s sans extraction, {engine['ingest']['with_extraction']['documents_per_second']}"
                " doc/s avec")
        lines.append(
            f"  {name}, {engine['documents']} documents : recherche p50 "
            f"{search['search_module']['p50_ms']} ms, p99 {search['search_module']['p99_ms']} ms ; "
            f"requête nue p50 {search['bare_query']['p50_ms']} ms, p99 "
            f"{search['bare_query']['p99_ms']} ms (rapport p99 {search['ratios']['p99_module_vs_bare']})")
        lines.append("    par agent : " + " ; ".join(
            f"{slug} ({agent['visible_documents']} documents) p50 {agent['p50_ms']} ms, "
            f"p99 {agent['p99_ms']} ms" for slug, agent in search["by_agent"].items()))
        if "fill" in engine:
            lines.append(f"    remplissage : {engine['fill']['inserted_per_second']} doc/s insérés, "
                         f"{engine['fill']['indexed_per_second']} doc/s indexés")
    return lines


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(worker(json.loads(sys.argv[2]))))
    else:
        print(json.dumps(run(), indent=2, ensure_ascii=False))
