"""The inventory's data: sites, assets and their lifecycle, software and licences, school
procurement and teachers' training needs, telework loans and wifi hotspots.

Every row belongs to an organisation (a commune or the ARC). A helpdesk ticket is named
by its primary key only (decision 0017), in ``AssetTicket.helpdesk_ticket_id``.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from socle.core.models import Organisation


class SiteKind(models.TextChoices):
    TOWN_HALL = "town_hall", "Mairie"
    SCHOOL = "school", "École"
    LIBRARY = "library", "Médiathèque"
    SPORTS = "sports", "Équipement sportif"
    TECHNICAL = "technical", "Services techniques"
    OTHER = "other", "Autre"


class Site(models.Model):
    """A building of an organisation where equipment stands (a mairie, a school...)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="inventory_sites")
    name = models.CharField(max_length=160)
    kind = models.CharField(max_length=20, choices=SiteKind.choices, default=SiteKind.OTHER)
    address = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["organisation__path", "name", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "name"], name="inventory_site_name"),
            models.CheckConstraint(condition=models.Q(latitude__isnull=True)
                                   | models.Q(latitude__gte=-90, latitude__lte=90),
                                   name="inventory_site_latitude"),
            models.CheckConstraint(condition=models.Q(longitude__isnull=True)
                                   | models.Q(longitude__gte=-180, longitude__lte=180),
                                   name="inventory_site_longitude"),
        ]

    def __str__(self) -> str:
        return self.name


class AssetKind(models.TextChoices):
    COMPUTER = "computer", "Ordinateur"
    LAPTOP = "laptop", "Ordinateur portable"
    PHONE = "phone", "Téléphone"
    TABLET = "tablet", "Tablette"
    WHITEBOARD = "whiteboard", "Tableau blanc interactif"
    PROJECTOR = "projector", "Vidéoprojecteur"
    NETWORK = "network", "Équipement réseau"
    ACCESS_POINT = "access_point", "Borne wifi"
    SERVER = "server", "Serveur"
    VPN_TOKEN = "vpn_token", "Jeton VPN"


class AssetStatus(models.TextChoices):
    ORDERED = "ordered", "Commandé"
    IN_SERVICE = "in_service", "En service"
    LENT = "lent", "Prêté"
    BROKEN = "broken", "En panne"
    DISPOSED = "disposed", "Réformé"


# The lifecycle: which status may follow which (disposed is the end).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    AssetStatus.ORDERED: (AssetStatus.IN_SERVICE, AssetStatus.DISPOSED),
    AssetStatus.IN_SERVICE: (AssetStatus.LENT, AssetStatus.BROKEN, AssetStatus.DISPOSED),
    AssetStatus.LENT: (AssetStatus.IN_SERVICE, AssetStatus.BROKEN),
    AssetStatus.BROKEN: (AssetStatus.IN_SERVICE, AssetStatus.DISPOSED),
    AssetStatus.DISPOSED: (),
}


class Asset(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="inventory_assets")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="assets")
    inventory_number = models.CharField(max_length=40)
    kind = models.CharField(max_length=20, choices=AssetKind.choices)
    name = models.CharField(max_length=160)
    status = models.CharField(max_length=20, choices=AssetStatus.choices,
                              default=AssetStatus.IN_SERVICE)
    manufacturer = models.CharField(max_length=120, blank=True)
    model = models.CharField(max_length=120, blank=True)
    serial_number = models.CharField(max_length=120, blank=True)
    purchased_on = models.DateField(null=True, blank=True)
    warranty_end = models.DateField(null=True, blank=True)
    contract = models.CharField(max_length=200, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    assigned_to = models.CharField(max_length=160, blank=True)  # a person's name, or a service
    operating_system = models.CharField(max_length=160, blank=True)
    source = models.CharField(max_length=20, default="manual")  # manual, csv, glpi, api, demo
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["organisation__path", "inventory_number", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "inventory_number"],
                                    name="inventory_asset_number"),
            models.CheckConstraint(condition=models.Q(cost__isnull=True) | models.Q(cost__gte=0),
                                   name="inventory_asset_cost"),
        ]
        indexes: ClassVar = [models.Index(fields=["organisation", "status"]),
                             models.Index(fields=["organisation", "serial_number"])]

    def __str__(self) -> str:
        return f"{self.inventory_number} — {self.name}"


class AssetEvent(models.Model):
    """One step of an asset's lifecycle, kept for its history page."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=AssetStatus.choices)
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.asset_id} → {self.to_status}"


class AssetTicket(models.Model):
    """A helpdesk ticket about an asset, by the ticket's primary key (decision 0017)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="ticket_links")
    helpdesk_ticket_id = models.BigIntegerField()
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["asset", "helpdesk_ticket_id"],
                                                         name="inventory_asset_ticket")]
        indexes: ClassVar = [models.Index(fields=["helpdesk_ticket_id"])]

    def __str__(self) -> str:
        return f"{self.asset_id} ↔ ticket {self.helpdesk_ticket_id}"


class Software(models.Model):
    """A software title of the DCSI's catalogue, with its reference version if it is a
    business package the DCSI homogenises."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="inventory_software")
    name = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200, blank=True)
    business = models.BooleanField(default=False)
    reference_version = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering: ClassVar = ["name", "pk"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["organisation", "name"],
                                                         name="inventory_software_name")]

    def __str__(self) -> str:
        return self.name


class Installation(models.Model):
    """One version of a software title installed on an asset."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="installations")
    software = models.ForeignKey(Software, on_delete=models.PROTECT,
                                 related_name="installations")
    version = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["asset", "software"],
                                                         name="inventory_installation_once")]

    def __str__(self) -> str:
        return f"{self.software_id} {self.version}"


class Licence(models.Model):
    """A licence contract: one or several titles (a suite), a number of seats, an expiry."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="inventory_licences")
    name = models.CharField(max_length=200)
    reference = models.CharField(max_length=120, blank=True)  # the contract's number
    seats = models.PositiveIntegerField()
    starts_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    titles = models.ManyToManyField(Software, through="LicenceTitle", related_name="licences")
    # The expiry date an alert was last sent for: a renewed licence is alerted again.
    alerted_for = models.DateField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["expires_on", "name", "pk"]
        constraints: ClassVar = [models.CheckConstraint(condition=models.Q(seats__gte=1),
                                                        name="inventory_licence_seats")]

    def __str__(self) -> str:
        return self.name


class LicenceTitle(models.Model):
    licence = models.ForeignKey(Licence, on_delete=models.CASCADE)
    software = models.ForeignKey(Software, on_delete=models.PROTECT)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["licence", "software"],
                                                         name="inventory_licence_title")]

    def __str__(self) -> str:
        return f"{self.licence_id} : {self.software_id}"


class LicenceAssignment(models.Model):
    """One seat of a licence, given to an asset or to a person."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="assignments")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="licence_seats")
    person = models.CharField(max_length=160, blank=True)
    assigned_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering: ClassVar = ["pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(asset__isnull=False) | ~models.Q(person=""),
                                   name="inventory_assignment_holder"),
            models.UniqueConstraint(fields=["licence", "asset"], name="inventory_assignment_asset",
                                    condition=models.Q(asset__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.licence_id} → {self.asset_id or self.person}"


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "En attente de l'avis de l'inspection"
    FAVOURABLE = "favourable", "Avis favorable"
    UNFAVOURABLE = "unfavourable", "Avis défavorable"
    ORDERED = "ordered", "Commandé"


class ProcurementRequest(models.Model):
    """A school's request for equipment: submitted, given the Education inspector's opinion,
    then ordered by the DCSI (only after a favourable opinion)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="inventory_requests")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(max_length=20, choices=AssetKind.choices)
    quantity = models.PositiveIntegerField()
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=RequestStatus.choices,
                              default=RequestStatus.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    opinion_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    opinion_at = models.DateTimeField(null=True, blank=True)
    opinion_comment = models.TextField(blank=True)
    ordered_at = models.DateTimeField(null=True, blank=True)
    order_reference = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering: ClassVar = ["-submitted_at", "-pk"]
        constraints: ClassVar = [models.CheckConstraint(condition=models.Q(quantity__gte=1),
                                                        name="inventory_request_quantity")]

    def __str__(self) -> str:
        return f"{self.site_id} : {self.quantity} x {self.kind}"


class TrainingNeed(models.Model):
    """Teachers of a school who need training on its equipment."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="inventory_training_needs")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="training_needs")
    topic = models.CharField(max_length=200)
    teachers = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return self.topic


class Loan(models.Model):
    """Equipment lent to an agent for telework, until its return."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="inventory_loans")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="loans")
    borrower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    started_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    returned_on = models.DateField(null=True, blank=True)
    return_condition = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["-started_on", "-pk"]
        constraints: ClassVar = [models.UniqueConstraint(
            fields=["asset"], condition=models.Q(returned_on__isnull=True),
            name="inventory_one_open_loan")]

    def __str__(self) -> str:
        return f"{self.asset_id} → {self.borrower_id}"


class HotspotStatus(models.TextChoices):
    PLANNED = "planned", "Prévue"
    INSTALLED = "installed", "Installée"
    IN_SERVICE = "in_service", "En service"
    OUT_OF_ORDER = "out_of_order", "Hors service"


class Hotspot(models.Model):
    """A public wifi hotspot of the territory, shown on the public map and open dataset."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="inventory_hotspots")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="hotspots")
    name = models.CharField(max_length=160)
    status = models.CharField(max_length=20, choices=HotspotStatus.choices,
                              default=HotspotStatus.PLANNED)
    latitude = models.FloatField()
    longitude = models.FloatField()
    installed_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["organisation__path", "name", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(latitude__gte=-90, latitude__lte=90),
                                   name="inventory_hotspot_latitude"),
            models.CheckConstraint(condition=models.Q(longitude__gte=-180, longitude__lte=180),
                                   name="inventory_hotspot_longitude"),
        ]

    def __str__(self) -> str:
        return self.name
