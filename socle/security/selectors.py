"""Every read of cybersecurity awareness, scoped to the actor.

The IT charter is the DCSI's, for every agent; who accepted it is read by organisation: a
commune's security lead sees their commune's agents, the DCSI's officer every commune.
An agent sees their own modules only; another commune's campaign, finding or module is a
404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from socle.core.access import Actor, get_or_404, memberships_held, organisations_for, scope
from socle.core.models import Membership, Organisation, OrganisationKind, User

from .models import (
    OPEN_FINDING_STATUSES,
    Assignment,
    AwarenessModule,
    CharterAcceptance,
    CharterVersion,
    Completion,
    Enrolment,
    Finding,
    FindingStatus,
    PhishingCampaign,
    PhishingResult,
    Severity,
)

VIEW = "security.view"
MANAGE = "security.manage"


# The charter -------------------------------------------------------------------------

def charter_in_force(*, at: datetime | None = None) -> CharterVersion | None:
    """Return the version of the charter in force now (or at ``at``), if any."""
    return CharterVersion.objects.filter(in_force_from__lte=at or timezone.now()).first()


def charter_versions_for(*, actor: Actor) -> QuerySet[CharterVersion]:
    """Return the charter's versions, newest first, for whoever reads the register."""
    if not organisations_for(actor, VIEW).exists():
        return CharterVersion.objects.none()
    return CharterVersion.objects.all()


def charter_version_get_for(*, actor: Actor, pk: Any) -> CharterVersion:
    """Return one version of the charter for a reader of the register, or 404."""
    return get_or_404(charter_versions_for(actor=actor), pk=pk)


def charter_accepted(*, actor: User, version: CharterVersion) -> CharterAcceptance | None:
    """Return the actor's own acceptance of that version, if they gave it."""
    return CharterAcceptance.objects.filter(version=version, user=actor).first()


def agent_organisation(*, actor: User) -> Organisation | None:
    """Return the most local organisation where the agent holds a role (their own)."""
    membership = (Membership.objects.filter(user=actor, revoked_at__isnull=True)
                  .select_related("organisation").order_by("-organisation__path").first())
    return membership.organisation if membership else None


def acceptances_for(*, actor: Actor) -> QuerySet[CharterAcceptance]:
    """Return the acceptances of agents of the organisations the actor reads, newest first."""
    return scope(CharterAcceptance.objects.select_related("version", "user", "organisation"),
                 actor, VIEW)


@dataclass(frozen=True)
class RegisterRow:
    user: User
    organisation: Organisation
    accepted_at: datetime | None


def _agents_in(organisations: QuerySet[Organisation]) -> dict[int, tuple[User, Organisation]]:
    """Each agent holding a role in these organisations, with their most local one."""
    found: dict[int, tuple[User, Organisation]] = {}
    rows = (Membership.objects.filter(revoked_at__isnull=True, organisation__in=organisations)
            .select_related("user", "organisation").order_by("organisation__path"))
    for membership in rows:
        found[membership.user_id] = (membership.user, membership.organisation)
    return found


def acceptance_register(*, actor: Actor, version: CharterVersion,
                        organisation: Organisation | None = None) -> list[RegisterRow]:
    """Return every agent the actor reads, with when they accepted that version (or None)."""
    organisations = organisations_for(actor, VIEW)
    if organisation is not None:
        organisations = organisations.filter(path__startswith=organisation.path)
    agents = _agents_in(organisations)
    accepted = dict(CharterAcceptance.objects.filter(version=version, user_id__in=list(agents))
                    .values_list("user_id", "accepted_at"))
    rows = [RegisterRow(user=user, organisation=org, accepted_at=accepted.get(pk))
            for pk, (user, org) in agents.items()]
    return sorted(rows, key=lambda r: (r.organisation.path, r.user.last_name, r.user.email))


def readable_organisations(*, actor: Actor, permission: str = VIEW) -> QuerySet[Organisation]:
    """Return the organisations whose security data the actor reads (or manages)."""
    return organisations_for(actor, permission)


def readable_organisation_get(*, actor: Actor, slug: str,
                              permission: str = VIEW) -> Organisation:
    """Return one organisation the actor reads (or manages), or 404."""
    return get_or_404(organisations_for(actor, permission), slug=slug)


# Awareness modules -------------------------------------------------------------------

def modules_managed(*, actor: Actor) -> QuerySet[AwarenessModule]:
    """Return the awareness modules the actor manages."""
    return scope(AwarenessModule.objects.all(), actor, MANAGE)


def module_managed_get(*, actor: Actor, pk: Any) -> AwarenessModule:
    """Return one awareness module the actor manages, or 404."""
    return get_or_404(modules_managed(actor=actor), pk=pk)


def _assigned_to(user: User) -> Q:
    memberships = memberships_held(user)  # read once per request by core.access
    condition = Q(pk__in=[])
    for role, path in memberships:
        prefixes = [p for p in _prefixes(path)]
        condition |= Q(organisation__path__in=prefixes) & (Q(role="") | Q(role=role))
    return condition


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


@dataclass(frozen=True)
class AgentModule:
    module: AwarenessModule
    reason: str  # French: why it is on the agent's list
    due_on: date | None
    completion: Completion | None


def modules_of_agent(*, actor: User) -> list[AgentModule]:
    """Return the modules assigned to the agent's groups or they were enrolled in."""
    found: dict[int, AgentModule] = {}
    completions = {c.module_id: c for c in Completion.objects.filter(user=actor)}
    for a in Assignment.objects.filter(_assigned_to(actor)).select_related("module",
                                                                           "organisation"):
        if a.module_id not in found:
            reason = f"Assigné aux agents de {a.organisation.name}"
            found[a.module_id] = AgentModule(a.module, reason, a.due_on,
                                             completions.get(a.module_id))
    for e in Enrolment.objects.filter(user=actor).select_related("module", "campaign"):
        if e.module_id not in found:
            reason = (f"Inscription après la simulation « {e.campaign.name} »" if e.campaign
                      else "Inscription individuelle")
            found[e.module_id] = AgentModule(e.module, reason, None, completions.get(e.module_id))
    return sorted(found.values(), key=lambda m: (m.completion is not None and
                                                 m.completion.passed, m.module.title))


def module_of_agent_get(*, actor: User, pk: Any) -> AgentModule:
    """Return one of the agent's own modules, or 404."""
    for item in modules_of_agent(actor=actor):
        if str(item.module.pk) == str(pk):
            return item
    from django.http import Http404

    raise Http404("Introuvable.")


def _targets(module: AwarenessModule) -> set[int]:
    """The agents a module is meant for: its groups' members and those enrolled."""
    users: set[int] = set(Enrolment.objects.filter(module=module).values_list("user_id",
                                                                              flat=True))
    for a in module.assignments.select_related("organisation"):
        members = Membership.objects.filter(revoked_at__isnull=True,
                                            organisation__path__startswith=a.organisation.path)
        if a.role:
            members = members.filter(role=a.role)
        users |= set(members.values_list("user_id", flat=True))
    return users


@dataclass(frozen=True)
class ProgressRow:
    organisation: Organisation
    module: AwarenessModule
    expected: int
    passed: int

    @property
    def rate(self) -> int:
        return round(100 * self.passed / self.expected) if self.expected else 0


def progress_by_commune(*, actor: Actor) -> list[ProgressRow]:
    """Return, per commune the actor reads and per module, agents expected and agents passed."""
    communes = list(organisations_for(actor, VIEW).filter(kind=OrganisationKind.COMMUNE))
    if not communes:
        return []
    homes: dict[int, str] = {}  # agent -> most local path
    for user_id, path in (Membership.objects.filter(revoked_at__isnull=True)
                          .order_by("organisation__path")
                          .values_list("user_id", "organisation__path")):
        homes[user_id] = path
    rows = []
    for module in AwarenessModule.objects.order_by("title"):
        targets = _targets(module)
        passed = set(Completion.objects.filter(module=module, passed=True, user_id__in=targets)
                     .values_list("user_id", flat=True))
        for commune in communes:
            expected = {u for u in targets if homes.get(u, "").startswith(commune.path)}
            if expected:
                rows.append(ProgressRow(commune, module, len(expected), len(expected & passed)))
    return rows


# Phishing simulations ----------------------------------------------------------------

def campaigns_for(*, actor: Actor) -> QuerySet[PhishingCampaign]:
    """Return the phishing campaigns of the organisations the actor reads, newest first."""
    return scope(PhishingCampaign.objects.select_related("organisation", "module"), actor, VIEW)


def campaign_get_for(*, actor: Actor, pk: Any) -> PhishingCampaign:
    """Return one phishing campaign the actor reads, or 404."""
    return get_or_404(campaigns_for(actor=actor), pk=pk)


def campaign_results(*, campaign: PhishingCampaign) -> QuerySet[PhishingResult]:
    """Return a campaign's results (the campaign was read through ``campaign_get_for``)."""
    return campaign.results.select_related("user")


def agents_by_email(*, organisation: Organisation, emails: list[str]) -> dict[str, User]:
    """Return the agents of that organisation (or below) holding these emails, by email."""
    wanted = {e.strip().lower() for e in emails if e}
    ids = (Membership.objects.filter(revoked_at__isnull=True,
                                     organisation__path__startswith=organisation.path)
           .values_list("user_id", flat=True))
    users = User.objects.filter(pk__in=ids, email__in=wanted)
    return {u.email.lower(): u for u in users}


# Penetration-test findings -----------------------------------------------------------

@dataclass(frozen=True)
class FindingFilters:
    organisation: str = ""
    status: str = ""  # a status, "active" (neither closed nor accepted) or ""
    severity: str = ""
    overdue: bool = False


def findings_for(*, actor: Actor, filters: FindingFilters | None = None) -> QuerySet[Finding]:
    """Return the findings of the organisations the actor reads, worst first."""
    filters = filters or FindingFilters()
    rows = scope(Finding.objects.select_related("organisation"), actor, VIEW)
    if filters.organisation:
        rows = rows.filter(organisation__slug=filters.organisation)
    if filters.status == "active":
        rows = rows.filter(status__in=OPEN_FINDING_STATUSES)
    elif filters.status:
        rows = rows.filter(status=filters.status)
    if filters.severity:
        rows = rows.filter(severity=filters.severity)
    if filters.overdue:
        rows = rows.filter(status__in=OPEN_FINDING_STATUSES, due_on__lt=timezone.localdate())
    return rows


def finding_get_for(*, actor: Actor, pk: Any) -> Finding:
    """Return one finding the actor reads, or 404."""
    return get_or_404(findings_for(actor=actor), pk=pk)


@dataclass(frozen=True)
class DashboardRow:
    organisation: Organisation
    by_severity: dict[str, int]  # open findings per severity
    by_status: dict[str, int]
    overdue: int
    total: int


def findings_dashboard(*, actor: Actor) -> list[DashboardRow]:
    """Return, per organisation with findings the actor reads, counts by severity and status."""
    today = timezone.localdate()
    grouped = (findings_for(actor=actor).order_by()
               .values("organisation", "severity", "status")
               .annotate(n=Count("pk"),
                         late=Count("pk", filter=Q(due_on__lt=today,
                                                   status__in=OPEN_FINDING_STATUSES))))
    per: dict[int, dict[str, Any]] = {}
    for row in grouped:
        entry = per.setdefault(row["organisation"], {
            "sev": dict.fromkeys(Severity.values, 0), "status": dict.fromkeys(
                FindingStatus.values, 0), "late": 0, "total": 0})
        if row["status"] in OPEN_FINDING_STATUSES:
            entry["sev"][row["severity"]] += row["n"]
        entry["status"][row["status"]] += row["n"]
        entry["late"] += row["late"]
        entry["total"] += row["n"]
    organisations = Organisation.objects.in_bulk(list(per))
    rows = [DashboardRow(organisations[pk], e["sev"], e["status"], e["late"], e["total"])
            for pk, e in per.items()]
    return sorted(rows, key=lambda r: r.organisation.name)
