"""The GED's demo: reference plan with retention rules, adoptions, searchable documents."""

from __future__ import annotations

from socle.documents.demo import demo_load
from socle.documents.models import Document, FilePlan, FilePlanNode
from socle.documents.selectors import SearchFilters, documents_search


def test_the_demo_loads_plans_and_searchable_documents_once(territory, make_user):
    demo_load()
    demo_load()
    reference = FilePlan.objects.get(code="arc-reference")
    assert {n.code for n in FilePlanNode.objects.filter(plan=reference, parent=None)} == {
        "FIN", "MP", "PAT", "RH", "ADM"}
    market = FilePlanNode.objects.get(plan=reference, code="MP-01")
    assert (market.retention_period, market.retention_start_event, market.final_action) == (
        10, "closing", "sort")
    assert Document.objects.count() == 3
    archivist = make_user(roles=[(territory["arc"], "documents.archivist")])
    hits = documents_search(actor=archivist, filters=SearchFilters(q="deliberation budgetaire"))
    assert [hit.document.title for hit in hits] == ["Délibération budget primitif 2025"]
