"""The SAE's periodic jobs, declared in ``module.py`` and run by ``socle worker``."""

from __future__ import annotations

from django.conf import settings


def _verify_each_offer(sample: float | None) -> str:
    from .fixity import archives_verify
    from .offers import offers

    lines = []
    failed = False
    for offer in offers():
        report = archives_verify(actor=None, organisation=None, offer_name=offer.name,
                                 sample=sample, repair=True)
        failed = failed or not report.ok
        lines.append(f"{offer.name} : {'intègre' if report.ok else 'EN DÉFAUT'}")
    summary = " ; ".join(lines)
    if failed:
        # A failed audit is a failed job: the DCSI sees it in `socle jobs` and its pages.
        raise RuntimeError(f"Contrôle d'intégrité en défaut : {summary}")
    return summary


def verify_sample() -> str:
    """Audit a sample of every offer (SOCLE_ARCHIVES_AUDIT_SAMPLE, 10 % by default)."""
    return _verify_each_offer(settings.ARCHIVES_AUDIT_SAMPLE)


def verify_full() -> str:
    """Audit every copy of every offer."""
    return _verify_each_offer(None)


def recover() -> str:
    """Journal and clean the ingests a dead process left (their spool and their copies)."""
    from .recovery import interrupted_recover

    found = interrupted_recover()
    if not found:
        return "Aucun versement interrompu."
    return (f"{len(found)} versement(s) interrompu(s) journalisé(s) KO ; "
            f"{sum(item['copies_removed'] for item in found)} copie(s) supprimée(s).")
