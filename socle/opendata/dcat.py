"""The catalogue as DCAT-AP 3: typed nodes and stable identifiers, for data.gouv.fr to harvest."""

from __future__ import annotations

from collections.abc import Callable

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from .models import Dataset, Frequency, Licence
from .selectors import catalogue_entries

ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
FREQUENCIES = {
    Frequency.CONTINUOUS: "UPDATE_CONT",
    Frequency.DAILY: "DAILY",
    Frequency.WEEKLY: "WEEKLY",
    Frequency.MONTHLY: "MONTHLY",
    Frequency.QUARTERLY: "QUARTERLY",
    Frequency.ANNUAL: "ANNUAL",
    Frequency.IRREGULAR: "IRREG",
}
LICENCES = {
    Licence.LO: "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    Licence.ODBL: "https://opendatacommons.org/licenses/odbl/1-0/",
}
MEDIA = {
    "csv": ("text/csv", "CSV"),
    "json": ("application/json", "JSON"),
    "parquet": ("application/vnd.apache.parquet", "PARQUET"),
}
SCHEMA_BASE = "https://schema.data.gouv.fr/"


def catalog_graph(*, absolute: Callable[[str], str], catalogue_url: str) -> Graph:
    """Build the DCAT-AP graph of every open dataset with a published file."""
    graph = Graph()
    for prefix, namespace in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("adms", ADMS),
        ("vcard", VCARD),
    ):
        graph.bind(prefix, namespace)
    catalogue = URIRef(catalogue_url)
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    graph.add((catalogue, DCTERMS.title, Literal("Données ouvertes de l'ARC et de ses communes", lang="fr")))
    graph.add(
        (
            catalogue,
            DCTERMS.description,
            Literal(
                "Jeux de données publiés par l'Agglomération de la Région de Compiègne et ses communes, "
                "contrôlés contre les schémas nationaux avant publication.",
                lang="fr",
            ),
        )
    )
    arc = URIRef(absolute("/donnees/#arc"))
    _agent(graph, arc, "Agglomération de la Région de Compiègne")
    graph.add((catalogue, DCTERMS.publisher, arc))
    graph.add((catalogue, FOAF.homepage, _document(graph, absolute("/donnees/"))))
    for dataset in catalogue_entries():
        graph.add((catalogue, DCAT.dataset, _dataset(graph, dataset, absolute)))
    return graph


def _agent(graph: Graph, node: URIRef, name: str) -> None:
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, FOAF.name, Literal(name, lang="fr")))


def _document(graph: Graph, url: str) -> URIRef:
    node = URIRef(url)
    graph.add((node, RDF.type, FOAF.Document))
    return node


def _dataset(graph: Graph, dataset: Dataset, absolute: Callable[[str], str]) -> URIRef:
    page = absolute(f"/donnees/{dataset.organisation.slug}/{dataset.slug}/")
    node = URIRef(page + "#dataset")
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(f"{dataset.organisation.slug}/{dataset.slug}")))
    graph.add((node, DCTERMS.title, Literal(dataset.title, lang="fr")))
    graph.add((node, DCTERMS.description, Literal(dataset.description or dataset.title, lang="fr")))
    publisher = URIRef(absolute(f"/donnees/?organisation={dataset.organisation.slug}#organisation"))
    _agent(graph, publisher, dataset.organisation.name)
    graph.add((node, DCTERMS.publisher, publisher))
    graph.add((node, DCAT.landingPage, _document(graph, page)))
    frequency = URIRef(EU_FREQUENCY + FREQUENCIES[Frequency(dataset.frequency)])
    graph.add((frequency, RDF.type, DCTERMS.Frequency))
    graph.add((node, DCTERMS.accrualPeriodicity, frequency))
    graph.add((node, DCTERMS.modified, Literal(dataset.updated_at.date().isoformat(), datatype=XSD.date)))
    for keyword in dataset.keywords:
        graph.add((node, DCAT.keyword, Literal(str(keyword), lang="fr")))
    for code in dataset.spatial_insee:
        place = URIRef(f"http://id.insee.fr/geo/commune/{code}")
        graph.add((place, RDF.type, DCTERMS.Location))
        graph.add((node, DCTERMS.spatial, place))
    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add(
                (period, DCAT.startDate, Literal(dataset.temporal_start.isoformat(), datatype=XSD.date))
            )
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, Literal(dataset.temporal_end.isoformat(), datatype=XSD.date)))
        graph.add((node, DCTERMS.temporal, period))
    licence = URIRef(LICENCES[Licence(dataset.licence)])
    graph.add((licence, RDF.type, DCTERMS.LicenseDocument))
    for distribution in dataset.distributions.all():
        if distribution.published_at is None:
            continue
        for fmt, attribute in (
            ("csv", distribution.csv_blob_id),
            ("json", distribution.json_blob_id),
            ("parquet", distribution.parquet_blob_id),
        ):
            if attribute is None:
                continue
            url = absolute(f"/donnees/fichiers/{distribution.pk}.{fmt}")
            item = URIRef(url + "#distribution")
            graph.add((item, RDF.type, DCAT.Distribution))
            graph.add((item, DCTERMS.title, Literal(f"{distribution.title} ({fmt.upper()})", lang="fr")))
            access = URIRef(url)
            graph.add((access, RDF.type, RDFS.Resource))
            graph.add((item, DCAT.accessURL, access))
            graph.add((item, DCAT.downloadURL, access))
            media, file_type = MEDIA[fmt]
            media_node = URIRef(f"https://www.iana.org/assignments/media-types/{media}")
            graph.add((media_node, RDF.type, DCTERMS.MediaType))
            graph.add((item, DCAT.mediaType, media_node))
            format_node = URIRef(EU_FILE_TYPE + file_type)
            graph.add((format_node, RDF.type, DCTERMS.MediaTypeOrExtent))
            graph.add((item, DCTERMS.format, format_node))
            graph.add((item, DCTERMS.license, licence))
            graph.add(
                (
                    item,
                    DCTERMS.issued,
                    Literal(distribution.published_at.date().isoformat(), datatype=XSD.date),
                )
            )
            if distribution.table_schema:
                name, _, version = distribution.table_schema.partition("@")
                standard = URIRef(f"{SCHEMA_BASE}{name}/{version}/")
                graph.add((standard, RDF.type, DCTERMS.Standard))
                graph.add((standard, DCTERMS.title, Literal(distribution.table_schema)))
                graph.add((item, DCTERMS.conformsTo, standard))
            graph.add((node, DCAT.distribution, item))
    return node
