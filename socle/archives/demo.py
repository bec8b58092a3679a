"""The archives' demo data, run by ``socle demo``: the rules referential of the ARC."""

from __future__ import annotations

from socle.core.models import Organisation

from .models import FinalAction, Rule, RuleKind

DEMO_RULES = [
    ("APP-10Y", RuleKind.APPRAISAL, 10, FinalAction.DESTROY, "Pièces comptables : 10 ans, détruire"),
    ("APP-30Y", RuleKind.APPRAISAL, 30, FinalAction.KEEP, "Délibérations : 30 ans, conserver"),
    ("APP-05Y", RuleKind.APPRAISAL, 5, FinalAction.DESTROY, "Correspondance courante : 5 ans"),
    ("ACC-00Y", RuleKind.ACCESS, 0, "", "Communicable immédiatement"),
    ("ACC-25Y", RuleKind.ACCESS, 25, "", "Secret des délibérations du gouvernement : 25 ans"),
    ("ACC-50Y", RuleKind.ACCESS, 50, "", "Vie privée : 50 ans"),
]


def demo_load() -> list[str]:
    """Seed the ARC's rules referential; running it again changes nothing."""
    arc = Organisation.objects.filter(slug="arc").first()
    if arc is None:
        return ["Archives : territoire absent, référentiel de règles non chargé."]
    created = 0
    for rule_id, kind, years, final, label in DEMO_RULES:
        _, new = Rule.objects.get_or_create(
            organisation=arc, rule_id=rule_id,
            defaults={"kind": kind, "duration_years": years, "final_action": final,
                      "label": label})
        created += int(new)
    return [f"Archives : {created} règles de gestion créées ({len(DEMO_RULES)} au référentiel)."]
