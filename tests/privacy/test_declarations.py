"""What the module declares is reachable through the contract, as a dashboard or the
"Mes tâches" page will call it: indicators, work sources, jobs, the processing activity."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from socle.core.modules import indicators, jobs, module_get, resolve, work_sources


def test_the_indicators_answer_through_the_contract_for_what_the_viewer_may_see(
        dpo, other_referent, margny, new_request):
    from socle.privacy import services

    services.platform_sync(organisations=[margny])
    new_request(received_on=timezone.localdate() - timedelta(days=60))
    declared = {i.name: i for i in indicators() if i.name.startswith("privacy.")}
    assert set(declared) == {"privacy.register_completeness", "privacy.requests_overdue"}
    values = {name: resolve(i.func)(actor=dpo, start=date(2020, 1, 1), end=date(2100, 1, 1))
              for name, i in declared.items()}
    assert values == {"privacy.register_completeness": 100.0, "privacy.requests_overdue": 1}
    for indicator in declared.values():
        assert resolve(indicator.func)(actor=other_referent, start=date(2020, 1, 1),
                                       end=date(2100, 1, 1)) == 0
        assert resolve(indicator.func)(actor=dpo, start=date(2020, 1, 1), end=date(2100, 1, 1),
                                       organisation=margny) == values[indicator.name]


def test_the_work_sources_answer_through_the_contract(dpo, new_breach, new_request):
    new_breach()
    new_request()
    sources = {s.name: s for s in work_sources() if s.name.startswith("privacy.")}
    found = {name: resolve(s.func)(actor=dpo, limit=5) for name, s in sources.items()}
    assert [len(items) for items in found.values()] == [1, 1]
    assert all(item.url.startswith("/rgpd/") for items in found.values() for item in items)


def test_the_jobs_and_the_own_processing_activity_are_declared():
    names = {job.name for job in jobs()}
    assert {"privacy.platform_sync", "privacy.deadlines_alert"} <= names
    module = module_get("privacy")
    assert [a.name for a in module.processing_activities] == ["Registre RGPD et exercice des droits"]
