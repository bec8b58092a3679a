"""The mobility module's periodic jobs, declared in ``module.py`` and run by ``socle worker``."""

from __future__ import annotations

from django.conf import settings

from .realtime import realtime_poll as poll
from .realtime_simulation import realtime_simulate as simulate
from .velotic import lock_configured
from .velotic import rentals_reconcile as reconcile


def realtime_poll() -> str:
    """Read the operator's GTFS-RT feeds; raise when a configured feed could not be used."""
    results = poll()
    if not results:
        return "Aucun flux temps réel d'exploitant n'est configuré."
    lines, failed = [], []
    for result in results:
        if result.fetch is None:
            failed.append(f"{result.kind} : {result.error}")
        elif not result.fetch.usable:
            codes = ", ".join(n["code"] for n in result.fetch.report["notices"] if n["severity"] == "ERROR")
            failed.append(f"{result.kind} : message refusé ({codes})")
        else:
            lines.append(f"{result.kind} : {result.fetch.report['trips']} voyages, "
                         f"{result.fetch.report['alerts']} perturbations lus")
    if failed:
        raise RuntimeError("Flux temps réel non appliqué — " + " ; ".join(failed + lines))
    return " ; ".join(lines)


def realtime_simulate() -> str:
    """Simulate an operator's delays for the demo, when SOCLE_MOBILITY_REALTIME_SIMULATION is on."""
    if not settings.MOBILITY_REALTIME_SIMULATION:
        return "Simulation du temps réel désactivée."
    fetch = simulate()
    if fetch is None:
        return "Aucun horaire publié : rien à simuler."
    if not fetch.usable:
        raise RuntimeError("Le flux simulé a été refusé : " + str(fetch.report["notices"]))
    return f"Retards simulés pour {fetch.report['trips']} voyages."


def rentals_reconcile() -> str:
    """Settle pending unlocks and close the rentals whose bike its lock reports docked."""
    if not lock_configured():
        return "Aucune passerelle de cadenas configurée."
    done = reconcile()
    return (f"{done['opened']} ouvertes, {done['failed']} non ouvertes, {done['closed']} closes, "
            f"{done['unreachable']} cadenas injoignables.")


def alerts_dispatch() -> str:
    """Find the subscribers of disruptions whose fan-out task was lost; purge unconfirmed ones."""
    from .alerts import alerts_fanout, alerts_pending, subscriptions_purge

    queued = sum(alerts_fanout(disruption_id=pk) for pk in alerts_pending())
    purged = subscriptions_purge()
    return f"{queued} alertes mises en file, {purged} abonnements non confirmés supprimés."
