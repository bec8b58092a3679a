"""Fill a benchmark instance with cases, agents and citizens; print what the load needs as JSON.

Run by ``bench/portal.py`` inside the instance's environment, after ``socle demo
--no-serve``:

    python -m bench.portal_seed --cases 100000

The cases follow the demo territory: each is filed by a resident of a commune
(communes weighted by population, so Compiègne holds about half of them) for a
procedure offered there (more popular procedures weigh more), over three years
with a growing platform, and is routed as the portal routes it. The older a
case, the likelier it is closed; each filed case has its filing in its history,
and its current status when it moved on. Rows go in with ``executemany``: the
services would journal and render two PDFs per case (hours for 100,000 cases),
and ``bulk_create`` spends most of its time compiling SQL, row by row.

Agents sign in with a password and a TOTP code; the benchmark creates their
sessions server-side instead (``SessionStore``), as a sign-in would leave them.
API callers get bearer tokens through ``token_create``, as ``socle token create``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socle.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from socle.core.assurance import SESSION_KEY as ASSURANCE_KEY  # noqa: E402
from socle.core.models import CitizenProfile, Organisation, OrganisationKind, User  # noqa: E402
from socle.core.services import citizen_profile_set, membership_grant, token_create  # noqa: E402
from socle.portal import selectors  # noqa: E402
from socle.portal.effective import EffectiveProcedure  # noqa: E402
from socle.portal.form_schema import Field  # noqa: E402
from socle.portal.models import (  # noqa: E402
    Case,
    CaseCounter,
    CaseEvent,
    CaseEventKind,
    CaseworkerGroup,
    FeeKind,
    Routing,
)

YEARS = 3
DRAFT_SHARE = 0.02
CASES_PER_CITIZEN = 25
SUBMITTERS = 32
BATCH = 2_000
# How often residents file each procedure, relative to the others (1 when absent).
POPULARITY = {
    "signalement-espace-public": 10, "acte-naissance": 8, "enlevement-encombrants": 6,
    "inscription-cantine": 6, "inscription-scolaire": 5, "bac-collecte": 4,
    "acte-mariage": 3, "badge-decheterie": 3, "tranquillite-vacances": 3,
    "carte-stationnement-resident": 3, "inscription-listes-electorales": 3,
    "transport-scolaire": 3, "acte-deces": 2, "recensement-citoyen": 2,
    "atelier-mediation-numerique": 2, "abonnement-velotic": 2,
}
FIRST_NAMES = [
    "Camille", "Louis", "Léa", "Gabriel", "Manon", "Hugo", "Chloé", "Arthur", "Emma", "Jules",
    "Inès", "Lucas", "Jade", "Nathan", "Sarah", "Thomas", "Lina", "Paul", "Zoé", "Adam",
    "Nadia", "Karim", "Sophie", "Pierre", "Marie", "Jean", "Isabelle", "Philippe", "Nathalie",
    "Michel", "Sylvie", "Alain", "Catherine", "Éric", "Sandrine", "Youssef", "Fatima", "Ali",
    "Aïcha", "Mathis",
]
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont",
    "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau",
    "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
    "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Benali",
]
STREETS = ["rue Solférino", "rue de Paris", "avenue de la Résistance", "rue des Lombards",
           "place de l'Hôtel de Ville", "rue Saint-Corneille", "boulevard Victor-Hugo",
           "rue de la République", "chemin des Prés", "rue du Moulin"]


def _log(message: str) -> None:
    print(f"    {message}", file=sys.stderr, flush=True)


class _Rows:
    """Insert a model's rows (dicts of attribute names) with executemany, ids included."""

    def __init__(self, model: type[models.Model]) -> None:
        quote = connection.ops.quote_name
        self.fields = list(model._meta.concrete_fields)
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.adapters = [self._adapter(f) for f in self.fields]
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        # Names come from the model; values travel as parameters.
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        self.pending: list[list[Any]] = []
        self.count = 0

    @staticmethod
    def _adapter(f: models.Field[Any, Any]) -> Any:
        ops = connection.ops
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            return ops.adapt_datetimefield_value
        if kind == "DateField":
            return ops.adapt_datefield_value
        if kind == "DecimalField":
            return ops.adapt_decimalfield_value
        if kind == "JSONField":
            encoder = getattr(f, "encoder", None)
            return lambda value: ops.adapt_json_value(value, encoder)
        return lambda value: value

    def add(self, row: dict[str, Any]) -> None:
        values = {**self.defaults, **row}
        self.pending.append([adapt(values[f.attname])
                             for f, adapt in zip(self.fields, self.adapters, strict=True)])
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.pending)
            self.count += len(self.pending)
            self.pending = []


# ----------------------------------------------------------------------- answers


# One branch per field kind of the form schema, read as a table.
def _answer(f: Field, rng: random.Random, commune: Organisation, name: tuple[str, str]) -> Any:  # noqa: C901
    kind = f.type
    if kind == "group":
        return [{sub.name: _answer(sub, rng, commune, name) for sub in f.fields}
                for _ in range(rng.randint(1, 2))]
    if kind in {"choice"} and f.choices:
        return rng.choice(f.choices).value
    if kind == "multichoice" and f.choices:
        return [c.value for c in rng.sample(list(f.choices), k=min(2, len(f.choices)))]
    if kind == "yesno":
        return rng.random() < 0.5
    if kind == "number":
        return rng.randint(1, 6)
    if kind == "date":
        return (date(2026, 1, 1) + timedelta(days=rng.randint(-9000, 300))).isoformat()
    if kind == "email":
        return f"{name[0]}.{name[1]}@exemple.fr".lower()
    if kind == "phone":
        return f"03 44 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    if kind == "address":
        postal = (commune.postal_codes or ["60200"])[0]
        return {"street": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                "postal_code": postal, "city": commune.name, "commune": commune.slug}
    if kind == "commune":
        return commune.slug
    if kind == "siret":
        return "21600159700019"
    if kind == "file":
        return []
    if kind == "textarea":
        return ("Demande déposée en ligne : merci de la traiter dans les meilleurs délais. "
                * rng.randint(1, 3)).strip()
    if f.name in {"nom", "nom_naissance", "nom_enfant"}:
        return name[1]
    if f.name in {"prenoms", "prenom"}:
        return name[0]
    return f"{rng.choice(STREETS).split(' ', 1)[1].title()} {rng.randint(1, 999)}"


# ---------------------------------------------------------------------- accounts


def _agent(email: str, organisation: str, first: str, last: str) -> User:
    user = User.objects.create(email=email, first_name=first, last_name=last)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    membership_grant(actor=None, user=user, organisation=Organisation.objects.get(slug=organisation),
                     role="portal.caseworker")
    _charter_accept(user)
    return user


def _charter_accept(user: User) -> None:
    # The demo puts an IT charter in force that every agent accepts before any page: without
    # it the benchmark would measure the redirection to the charter, not the queue.
    from django.apps import apps

    if not apps.is_installed("socle.security"):
        return
    from socle.security.selectors import charter_in_force
    from socle.security.services import charter_accept

    version = charter_in_force()
    if version is not None:
        charter_accept(actor=user, version=version)


def _session(user: User) -> str:
    # What django.contrib.auth.login leaves in a session once the password and the TOTP
    # code were accepted (socle.core.views signs in through login()).
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # And what session_authenticated records: without the second factor, no agent permission.
    store[ASSURANCE_KEY] = {"method": "password+totp", "second_factor": True,
                            "at": int(time.time())}
    store.create()
    assert store.session_key is not None
    return store.session_key


def _citizens(count: int, communes: list[Organisation], rng: random.Random,
              now: datetime) -> dict[int, list[tuple[int, str, str]]]:
    """Create residents with a home commune (weighted by population), by commune id."""
    weights = [c.population or 500 for c in communes]
    homes = rng.choices(communes, weights=weights, k=count)
    users = []
    unusable = make_password(None)  # residents who never sign in during the benchmark
    for number in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        users.append(User(email=f"usager{number:06d}@bench.socle.fr", first_name=first,
                          last_name=last, password=unusable, date_joined=now - timedelta(days=1200)))
    User.objects.bulk_create(users, batch_size=BATCH)
    users = list(User.objects.filter(email__startswith="usager",
                                     email__endswith="@bench.socle.fr").order_by("email"))
    CitizenProfile.objects.bulk_create(
        [CitizenProfile(user=user, home_commune=home, city=home.name,
                        postal_code=(home.postal_codes or [""])[0])
         for user, home in zip(users, homes, strict=True)], batch_size=BATCH)
    by_commune: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for user, home in zip(users, homes, strict=True):
        by_commune[home.pk].append((user.pk, user.email, user.display_name))
    return by_commune


# ------------------------------------------------------------------------- cases


def _statuses(offered: EffectiveProcedure) -> tuple[list[str], list[str]]:
    """Return a procedure's open statuses (after filing) and its final ones."""
    assert offered.revision is not None
    raw = offered.revision.workflow.get("statuses", []) if isinstance(
        offered.revision.workflow, dict) else []
    final = [s["key"] for s in raw if s.get("final")]
    skipped = {"draft", "submitted", "awaiting_payment"}
    open_ = [s["key"] for s in raw if not s.get("final") and s["key"] not in skipped]
    return open_ or ["submitted"], final or ["closed"]


def _pick_status(age_days: float, open_: list[str], final: list[str],
                 rng: random.Random) -> str:
    closed_share = 0.1 if age_days < 30 else 0.5 if age_days < 120 else 0.95
    roll = rng.random()
    if roll < closed_share:
        # Most requests are granted.
        weights = [8 if key == "accepted" else 1 for key in final]
        return rng.choices(final, weights=weights)[0]
    if roll < closed_share + (1 - closed_share) * 0.35:
        return "submitted"
    return rng.choice(open_)


def _destination(offered: EffectiveProcedure, commune: Organisation) -> Organisation:
    # The routing of services._route for a resident whose addresses are in their commune.
    procedure = offered.procedure
    if procedure.is_template and procedure.routing != Routing.OWNER:
        return offered.organisation if procedure.routing != Routing.ADDRESS_FIELD else commune
    if procedure.routing == Routing.ADDRESS_FIELD and \
            procedure.organisation.kind == OrganisationKind.EPCI:
        return commune
    return procedure.organisation


def seed(total: int, seed_value: int) -> dict[str, Any]:
    rng = random.Random(seed_value)
    now = timezone.now()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    communes = list(Organisation.objects.filter(kind=OrganisationKind.COMMUNE).order_by("slug"))
    by_slug = {c.slug: c for c in communes}
    offered = {c.pk: selectors.procedures_offered(commune=c) for c in communes}
    popularity = {pk: list(accumulate(POPULARITY.get(e.slug, 1) for e in procedures))
                  for pk, procedures in offered.items()}
    fields = {(e.slug, e.organisation.pk): e.fields() for o in offered.values() for e in o}
    statuses = {e.slug: _statuses(e) for o in offered.values() for e in o}
    groups = {(g.organisation_id, g.slug): g.pk for g in CaseworkerGroup.objects.all()}

    with transaction.atomic():
        compiegne_agent = _agent("agent.compiegne@bench.socle.fr", "compiegne", "Nadia", "Banc")
        arc_agent = _agent("agent.arc@bench.socle.fr", "arc", "Sophie", "Banc")
        citizens = _citizens(max(SUBMITTERS, total // CASES_PER_CITIZEN), communes, rng, now)
    timings["accounts_seconds"] = round(time.perf_counter() - started, 1)

    # Every case's date first: numbers follow the order of filing within each year.
    span = timedelta(days=365 * YEARS)
    # A growing platform: the density of filings rises linearly over the three years.
    moments = sorted(now - span * (1 - rng.random() ** 0.5) for _ in range(total))
    counters: Counter[int] = Counter({c.year: c.last for c in CaseCounter.objects.all()})
    resident_communes = [c for c in communes if citizens.get(c.pk)]
    resident_weights = [len(citizens[c.pk]) for c in resident_communes]
    compiegne = by_slug["compiegne"]
    by_status: Counter[str] = Counter()
    by_organisation: Counter[str] = Counter()
    cases_started = time.perf_counter()
    case_rows, event_rows = _Rows(Case), _Rows(CaseEvent)
    next_case = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    next_event = (CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    with transaction.atomic():
        for index, moment in enumerate(moments):
            commune = rng.choices(resident_communes, weights=resident_weights)[0]
            citizen_id, email, display = rng.choice(citizens[commune.pk])
            procedure_offer = rng.choices(offered[commune.pk],
                                          cum_weights=popularity[commune.pk])[0]
            organisation = _destination(procedure_offer, commune)
            assert procedure_offer.revision is not None
            local = timezone.localtime(moment)
            counters[local.year] += 1
            age = (now - moment).total_seconds() / 86400
            draft = rng.random() < DRAFT_SHARE
            open_, final = statuses[procedure_offer.slug]
            status = "draft" if draft else _pick_status(age, open_, final, rng)
            closed_at = None
            if status in final:
                closed_at = min(now, moment + timedelta(days=rng.uniform(1, 60)))
            assigned_to_id = None
            if organisation.pk == compiegne.pk and status not in {"draft", "submitted"} \
                    and rng.random() < 0.5:
                assigned_to_id = compiegne_agent.pk
            fee = Decimal("0.00")
            if procedure_offer.fee_kind == FeeKind.FIXED and not draft:
                fee = procedure_offer.fee_amount
            first, last = display.split(" ", 1)
            answers = {f.name: _answer(f, rng, commune, (first, last))
                       for f in fields[(procedure_offer.slug, procedure_offer.organisation.pk)]}
            case_id = next_case
            next_case += 1
            case_rows.add({
                "id": case_id, "number": f"{local.year}-{counters[local.year]:06d}",
                "procedure_id": procedure_offer.procedure.pk,
                "revision_id": procedure_offer.revision.pk, "organisation_id": organisation.pk,
                "citizen_id": citizen_id, "email": email, "applicant_name": display,
                "identity_assurance": "franceconnect" if rng.random() < 0.15 else "email",
                "status": status, "data": answers, "extra_fields": procedure_offer.extra_fields,
                "group_id": groups.get((organisation.pk, procedure_offer.group_slug)),
                "assigned_to_id": assigned_to_id, "amount_due": fee,
                "created_at": moment - timedelta(minutes=rng.uniform(2, 30)),
                "submitted_at": None if draft else moment,
                "decision_due_on": None if draft else (
                    local.date() + timedelta(days=procedure_offer.implicit_decision_days)),
                "closed_at": closed_at, "updated_at": closed_at or moment,
            })
            if not draft:
                event_rows.add({"id": next_event, "case_id": case_id, "at": moment,
                                "kind": CaseEventKind.STATUS, "from_status": "draft",
                                "to_status": "submitted", "visible_to_citizen": True,
                                "from_citizen": True, "text": "Demande déposée en ligne."})
                next_event += 1
                if status != "submitted":
                    event_rows.add({"id": next_event, "case_id": case_id,
                                    "at": closed_at or moment + timedelta(days=rng.uniform(1, 5)),
                                    "actor_id": assigned_to_id, "kind": CaseEventKind.STATUS,
                                    "from_status": "submitted", "to_status": status,
                                    "visible_to_citizen": True})
                    next_event += 1
            by_status[status] += 1
            by_organisation[organisation.slug] += 1
            if (index + 1) % 20_000 == 0:
                _log(f"{index + 1} dossiers…")
        case_rows.flush()
        event_rows.flush()
        for year, last in counters.items():
            CaseCounter.objects.update_or_create(year=year, defaults={"last": last})
        # Ids were given explicitly: PostgreSQL's sequences must start after them.
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Case, CaseEvent]):
                cursor.execute(statement)
    events = event_rows.count
    timings["cases_seconds"] = round(time.perf_counter() - cases_started, 1)

    analyse_started = time.perf_counter()
    with connection.cursor() as cursor:
        # The steady state of a database that grew over years: the planner's statistics
        # (what the autovacuum daemon or SQLite's `PRAGMA optimize` keep), and on PostgreSQL
        # the visibility map, without which counting reads the table instead of an index.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    timings["analyze_seconds"] = round(time.perf_counter() - analyse_started, 1)

    # The submitters: residents of Compiègne with a token each (idempotency is per citizen).
    submitters = []
    for number in range(SUBMITTERS):
        user = User.objects.create(email=f"deposant{number:02d}@bench.socle.fr",
                                   first_name=rng.choice(FIRST_NAMES), last_name="Déposant")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        citizen_profile_set(actor=None, user=user, home_commune=compiegne)
        submitters.append(token_create(actor=None, user=user, name="banc")[1])
    agents = {}
    for key, agent in (("compiegne", compiegne_agent), ("arc", arc_agent)):
        agents[key] = {
            "email": agent.email,
            "session": _session(agent),
            "token": token_create(actor=None, user=agent, name="banc")[1],
            "visible_cases": selectors.cases_for_agent(actor=agent).count(),
        }
    timings["total_seconds"] = round(time.perf_counter() - started, 1)
    return {
        "cases": total,
        "citizens": sum(len(v) for v in citizens.values()),
        "events": events,
        "by_status": dict(by_status.most_common()),
        "by_organisation": dict(by_organisation.most_common(5)),
        "procedures": len({slug for slug, _ in fields}),
        "timings": timings,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "agents": agents,
        "submitters": submitters,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.portal_seed")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(json.dumps(seed(args.cases, args.seed), ensure_ascii=False))


if __name__ == "__main__":
    main()
