"""The open-data demo: a catalogue per commune, generated files, a register of deliberations."""

from __future__ import annotations

import io
from datetime import date

from socle.core.models import Membership, Organisation
from socle.core.selectors import organisation_get_public

from .generation import rows_csv
from .jobs import generate
from .models import Access, Dataset, Distribution, Frequency, Generator, Validation
from .schemas import schema_load, schemas_available
from .services import dataset_create, distribution_check, distribution_create, distribution_publish


def demo_siret(insee: str) -> str:
    """A SIRET for the demonstration only (valid key, fictitious number): replace it with the real one."""
    body = f"21{insee}0000{insee[-2:]}"[:13]
    for key in range(10):
        digits = [int(d) for d in body + str(key)]
        total = sum(
            d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits))
        )
        if total % 10 == 0:
            return body + str(key)
    raise AssertionError("unreachable")


# (commune, slug, title, legal basis, generator, schema, access, theme)
DATASETS = [
    (
        "compiegne",
        "subventions",
        "Subventions accordées aux associations",
        "subventions",
        Generator.SUBVENTIONS,
        "scdl/subventions",
        Access.OPEN,
        "Vie associative",
    ),
    (
        "compiegne",
        "equipements",
        "Équipements collectifs publics",
        "equipements",
        Generator.EQUIPEMENTS,
        "scdl/equipements",
        Access.OPEN,
        "Équipements",
    ),
    (
        "compiegne",
        "deliberations",
        "Délibérations du conseil municipal",
        "deliberations",
        Generator.NONE,
        "scdl/deliberations",
        Access.OPEN,
        "Vie démocratique",
    ),
    (
        "compiegne",
        "catalogue",
        "Catalogue des données de Compiègne",
        "catalogue",
        Generator.CATALOGUE,
        "scdl/catalogue",
        Access.OPEN,
        "Catalogue",
    ),
    (
        "compiegne",
        "suivi-interventions",
        "Suivi interne des interventions de voirie",
        "",
        Generator.NONE,
        "",
        Access.AGENTS,
        "Voirie",
    ),
    (
        "margny-les-compiegne",
        "equipements",
        "Équipements collectifs publics",
        "equipements",
        Generator.EQUIPEMENTS,
        "scdl/equipements",
        Access.OPEN,
        "Équipements",
    ),
    (
        "margny-les-compiegne",
        "subventions",
        "Subventions accordées aux associations",
        "subventions",
        Generator.NONE,
        "scdl/subventions",
        Access.OPEN,
        "Vie associative",
    ),
    (
        "lacroix-saint-ouen",
        "catalogue",
        "Catalogue des données de Lacroix-Saint-Ouen",
        "catalogue",
        Generator.CATALOGUE,
        "scdl/catalogue",
        Access.OPEN,
        "Catalogue",
    ),
]


def _deliberations(commune: Organisation, siret: str) -> bytes:
    schema = schema_load("scdl/deliberations")
    rows = [
        {
            "COLL_NOM": commune.name,
            "COLL_SIRET": siret,
            "DELIB_ID": f"2025-{n:03d}",
            "DELIB_DATE": day,
            "DELIB_MATIERE_CODE": code,
            "DELIB_MATIERE_NOM": matiere,
            "DELIB_OBJET": objet,
            "VOTE_EFFECTIF": 45,
            "VOTE_REEL": 41,
            "VOTE_POUR": pour,
            "VOTE_CONTRE": 41 - pour,
            "VOTE_ABSTENTION": 0,
        }
        for n, (day, code, matiere, objet, pour) in enumerate(
            [
                ("2025-03-27", "7.1", "Décisions budgétaires", "Vote du budget primitif 2025", 35),
                ("2025-03-27", "7.5", "Subventions", "Attribution des subventions aux associations", 41),
                ("2025-06-26", "3.1", "Acquisitions", "Acquisition d'une parcelle rue de Paris", 39),
                ("2025-09-25", "8.9", "Culture", "Tarifs des musées municipaux", 41),
            ],
            start=1,
        )
    ]
    return rows_csv(schema, rows)


def _margny_broken(commune: Organisation, siret: str) -> bytes:
    # A file produced elsewhere, with the mistakes people make: the cockpit shows it as invalid.
    return (
        "nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,"
        "rnaBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,notificationUE,"
        "pourcentageSubvention,dispositifAide\n"
        f"{commune.name},{siret},27/03/2025,DEL-2025-12,Football club de Margny,,W602001234,"
        'Fonctionnement,"24 500,00",aide en numéraire,Versement unique,2025-04-15,,non,0.4,\n'
    ).encode()


# A one-page PDF (no script, no action): the demo's stand-in for the statutes, budget and RIB.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
    b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
GRANTS = [
    ("Harmonie municipale de Compiègne", "W602000101", 4800, 12000),
    ("Judo club du Compiégnois", "W602000102", 26500, 61000),
    ("Les Amis du théâtre impérial", "W602000103", 2300, 9000),
]


def _grant_cases(commune: Organisation) -> int:
    """File and accept the demo's grant requests through the portal's services (once)."""
    from socle.core.blobs import blob_put
    from socle.core.models import User
    from socle.core.uploads import upload_handle_create
    from socle.portal.selectors import QueueFilters, cases_for_agent, procedure_offered_get
    from socle.portal.services import case_submit, case_transition

    citizen = User.objects.filter(email="habitant.compiegne@demo.socle.fr").first()
    caseworker = User.objects.filter(email="agent.compiegne@demo.socle.fr").first()
    if citizen is None or caseworker is None:
        return 0
    filters = QueueFilters(procedure="subvention-association", organisation=commune.slug)
    known = cases_for_agent(actor=caseworker, filters=filters)
    if known.filter(data__nom_association__in=[g[0] for g in GRANTS]).exists():
        return 0
    offered = procedure_offered_get(slug="subvention-association", commune=commune)
    blob = blob_put(stream=io.BytesIO(DEMO_PDF)).blob
    accepted = 0
    for number, (name, rna, amount, budget) in enumerate(GRANTS, start=1):
        files = {
            key: [
                {
                    "upload": upload_handle_create(actor=citizen, blob=blob, name=f"{key}.pdf")[0],
                    "name": f"{key}.pdf",
                }
            ]
            for key in ("statuts", "budget_previsionnel", "rib")
        }
        case = case_submit(
            actor=citizen,
            offered=offered,
            data={
                "nom_association": name,
                "siret": demo_siret(f"{60100 + number}"),
                "rna": rna,
                "adresse_siege": {
                    "street": f"{number} place de l'Hôtel de Ville",
                    "postal_code": "60200",
                    "city": "Compiègne",
                },
                "responsable": "Camille Martin",
                "courriel": "habitant.compiegne@demo.socle.fr",
                "telephone": "03 44 40 72 00",
                "nature": "fonctionnement",
                "montant_demande": amount,
                "budget_total": budget,
                **files,
            },
        )
        case_transition(actor=caseworker, case=case, to="in_instruction")
        case_transition(
            actor=caseworker, case=case, to="accepted", comment="Délibération du conseil municipal"
        )
        accepted += 1
    return accepted


DEMO_OPEN_INDICATORS = (
    ("opendata.obligations_met", "month", 0),
    ("opendata.datasets_published", "quarter", 0),
    ("opendata.grants_awarded", "quarter", 3),
)


def _open_indicators(commune: Organisation) -> int:
    """Publish Compiègne's public dashboard, opened by its data steward (once)."""
    from socle.core.access import can

    from .models import OpenIndicator
    from .public_dashboards import openable_indicators
    from .services import indicator_open

    if OpenIndicator.objects.filter(organisation=commune).exists():
        return 0
    steward = (
        Membership.objects.filter(organisation=commune, role="opendata.steward", revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if steward is None:
        return 0
    declared = {i.name: i for i in openable_indicators()}
    opened = 0
    for name, granularity, threshold in DEMO_OPEN_INDICATORS:
        indicator = declared.get(name)
        if indicator is not None and can(steward.user, indicator.permission, commune):
            indicator_open(
                actor=steward.user, organisation=commune, indicator=name, granularity=granularity,
                min_count=threshold,
            )
            opened += 1
    return opened


def demo_load() -> list[str]:
    """Create the demo catalogues and generate their files; running it again changes nothing new."""
    if "scdl/subventions" not in schemas_available():
        return ["Données ouvertes : schémas officiels absents (SOCLE_REFERENCE_DIR), catalogue non créé."]
    created = 0
    compiegne = organisation_get_public(slug="compiegne")
    grants = _grant_cases(compiegne) if compiegne is not None else 0
    for slug, dataset_slug, title, basis, generator, schema, access, theme in DATASETS:
        commune = organisation_get_public(slug=slug)
        if commune is None:
            continue
        existing = Dataset.objects.filter(organisation=commune, slug=dataset_slug).first()
        if existing is not None:
            continue
        steward = (
            Membership.objects.filter(organisation=commune, role="opendata.steward")
            .select_related("user")
            .first()
        )
        dataset = dataset_create(
            actor=None,
            organisation=commune,
            slug=dataset_slug,
            title=f"{title} — {commune.name}",
            description=f"{title} de la commune de {commune.name}, publié(e)s selon le schéma national "
            f"{schema or '(aucun schéma national)'}.",
            access=access,
            legal_basis=basis,
            theme=theme,
            keywords=[theme.lower(), commune.name],
            generator=generator,
            frequency=Frequency.MONTHLY if basis == "deliberations" else Frequency.ANNUAL,
            producer_service="Direction des systèmes d'information",
            steward=steward.user if steward else None,
        )
        dataset.producer_siret = demo_siret(commune.insee_code or "60000")
        dataset.save(update_fields=["producer_siret"])
        distribution = (
            distribution_create(actor=None, dataset=dataset, title=title, table_schema=schema)
            if schema
            else Distribution.objects.create(dataset=dataset, title=title)
        )
        created += 1
        if dataset_slug == "deliberations":
            validation = distribution_check(
                actor=None,
                distribution=distribution,
                data=_deliberations(commune, dataset.producer_siret),
                filename="registre-deliberations-2025.csv",
            )
            if validation.valid:
                distribution_publish(actor=None, validation=validation)
        if slug == "margny-les-compiegne" and dataset_slug == "subventions":
            distribution_check(
                actor=None,
                distribution=distribution,
                data=_margny_broken(commune, dataset.producer_siret),
                filename="subventions-2025.csv",
            )
    summary = generate() if created else "fichiers déjà générés"
    opened = _open_indicators(compiegne) if compiegne is not None else 0
    return [
        f"Données ouvertes : {grants} subventions accordées, {created} jeux de données créés "
        f"({Dataset.objects.count()} au total, "
        f"{Validation.objects.count()} contrôles) ; {summary} ; {opened} indicateurs publiés sur le "
        f"tableau de bord public ({date.today():%d/%m/%Y})."
    ]
