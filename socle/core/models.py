"""The core's data: territory, people, memberships, tokens, journal, blobs."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


class OrganisationKind(models.TextChoices):
    EPCI = "epci", "Intercommunalité"
    COMMUNE = "commune", "Commune"
    SERVICE = "service", "Service"


class Organisation(models.Model):
    """A node of the territory: the intercommunality, a commune or a service."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=OrganisationKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path "/arc/compiegne/": a role granted on a node applies to
    # every node whose path starts with the node's path.
    path = models.CharField(max_length=500, unique=True, editable=False)
    insee_code = models.CharField(max_length=5, blank=True, default="")
    siret = models.CharField(max_length=14, blank=True, default="")
    postal_codes = models.JSONField(default=list, blank=True)
    population = models.PositiveIntegerField(null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(null=True, blank=True)
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=30, blank=True, default="")
    website = models.URLField(blank=True, default="")
    address = models.CharField(max_length=300, blank=True, default="")
    # The mairie's or service's opening hours as published, one line a period.
    opening_hours = models.TextField(blank=True, default="", max_length=1000)
    # Its identity on the pages and letters: a logo it uploads (PNG or JPEG) and a colour
    # dark enough for white text (contrast of at least 4.5:1, RGAA 3.2).
    logo = models.ForeignKey("Blob", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    brand_color = models.CharField(max_length=7, blank=True, default="")

    class Meta:
        ordering: ClassVar = ["path"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["epci", "commune", "service"]),
                name="organisation_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_commune(self) -> bool:
        return self.kind == OrganisationKind.COMMUNE


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Une adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One account per person, whatever their roles: email is the login."""

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True, default="")
    last_name = models.CharField(max_length=150, blank=True, default="")
    # An agent's function as it appears under their signature ("Responsable de l'état civil"):
    # a decision names its author's first name, name and function (CRPA, L212-1).
    job_title = models.CharField(max_length=150, blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Second factor (TOTP, RFC 6238) for agents.
    totp_secret = models.CharField(max_length=64, blank=True, default="")
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering: ClassVar = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email

    @property
    def is_agent(self) -> bool:
        return self.memberships.filter(revoked_at__isnull=True).exists()


class IdentityAssurance(models.TextChoices):
    EMAIL = "email", "Adresse électronique vérifiée"
    FRANCECONNECT = "franceconnect", "FranceConnect"


class CitizenProfile(models.Model):
    """What the platform knows of a citizen: home address, home commune, identity assurance."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="citizen")
    address = models.CharField(max_length=300, blank=True, default="")
    postal_code = models.CharField(max_length=5, blank=True, default="")
    city = models.CharField(max_length=150, blank=True, default="")
    home_commune = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="residents"
    )
    identity_assurance = models.CharField(
        max_length=20, choices=IdentityAssurance.choices, default=IdentityAssurance.EMAIL
    )
    franceconnect_sub = models.CharField(max_length=255, unique=True, null=True, blank=True)
    birthdate = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Usager {self.user.email}"


class Membership(models.Model):
    """A role held by an agent on an organisation, and on every node below it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=60)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=models.Q(revoked_at__isnull=True),
                name="membership_unique_active",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.user.email} — {self.role} @ {self.organisation.slug}"


class ModuleActivation(models.Model):
    """Whether a module is offered to an organisation (and the nodes below it).

    A module with no row is on: switching one off writes a row, and hides the
    module's pages, navigation and data from that organisation; nothing is deleted.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="module_activations")
    module = models.CharField(max_length=40)
    enabled = models.BooleanField(default=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "module"],
                                    name="moduleactivation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.module} @ {self.organisation.slug}: {'on' if self.enabled else 'off'}"


class ApiToken(models.Model):
    """A bearer token for the API: only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # None: no expiry (tokens made before expiry existed; the pages always set one)
    expires_at = models.DateTimeField(null=True, blank=True)
    # "read": safe methods only; "write": everything the person may do
    access = models.CharField(max_length=5, default="write")
    # Comma-separated module names the token may act on ("" for every module)
    modules = models.CharField(max_length=300, blank=True, default="")

    def __str__(self) -> str:
        return f"Jeton {self.prefix} de {self.user.email}"

    @property
    def module_names(self) -> tuple[str, ...]:
        return tuple(name for name in self.modules.split(",") if name)

    def scope_label(self) -> str:
        """The scope as `socle token` writes it: "read", "write:portal,documents"."""
        return self.access + (f":{self.modules}" if self.modules else "")


class LoginAttempt(models.Model):
    """One sign-in attempt, kept for throttling (per account and per address)."""

    email = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    succeeded = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["email", "at"]),
            models.Index(fields=["ip_address", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.at:%Y-%m-%d %H:%M} {'OK' if self.succeeded else 'échec'}"


class AuditChainHead(models.Model):
    """The single row writers lock to append to the journal one at a time."""

    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"Tête du journal #{self.seq}"


class ThrottleHit(models.Model):
    """One use of an open door by one client, counted by ``socle.core.throttle``.

    ``key`` is a keyed hash of the client's address, never the address itself.
    """

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["scope", "key", "at"])]

    def __str__(self) -> str:
        return f"{self.scope} @ {self.at:%Y-%m-%d %H:%M}"


class _JournalEntry(models.Model):
    """What a journal event and a consultation waiting to be folded into it both say:
    when, who (kept as a label too, the account may go), for which organisation, on what."""

    at = models.DateTimeField()
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(max_length=254, blank=True, default="")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False,
    )
    organisation_slug = models.CharField(max_length=80, blank=True, default="")
    target_type = models.CharField(max_length=80, blank=True, default="")
    target_id = models.CharField(max_length=80, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        abstract = True


class AuditEvent(_JournalEntry):
    """An append-only, hash-chained entry of the journal."""

    seq = models.BigIntegerField(unique=True)
    action = models.CharField(max_length=80, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering: ClassVar = ["seq"]
        indexes: ClassVar = [models.Index(fields=["organisation_slug", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The journal is append-only: an existing event is never rewritten.
        if not self._state.adding:
            raise PermissionError("Le journal est en ajout seul.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Le journal est en ajout seul.")


class Consultation(_JournalEntry):
    """An agent's reading of personal data or archives, logged without the journal's lock.

    Written by ``consultation_record`` on the request's path, one plain insert that waits
    on no shared row; moved into the chained journal by the ``core.consultations_fold`` job
    (decision 0019), which deletes the rows it folded. A row is never rewritten.
    """

    action = models.CharField(max_length=80)

    class Meta:
        ordering: ClassVar = ["pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id} par {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A consultation is a fact: recorded once, never rewritten.
        if not self._state.adding:
            raise PermissionError("Une consultation enregistrée ne se modifie pas.")
        super().save(*args, **kwargs)


class AuditSeal(models.Model):
    """A timestamped Merkle root over a contiguous range of journal events (see journal_seal)."""

    seq = models.BigIntegerField(unique=True)
    first_seq = models.BigIntegerField(unique=True)
    last_seq = models.BigIntegerField(unique=True)
    merkle_root = models.CharField(max_length=64)
    last_event_hash = models.CharField(max_length=64)
    prev_seal_hash = models.CharField(max_length=64)
    seal_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    tsa_url = models.CharField(max_length=500)
    # The RFC 3161 token (DER ContentInfo), base64: text survives every export format.
    tst = models.TextField()
    tst_time = models.DateTimeField()
    # The TSA's certificate and its issuers up to the trusted root, PEM, so the
    # token can be checked offline even if the authority has gone.
    tsa_certificates = models.TextField()

    class Meta:
        ordering: ClassVar = ["seq"]

    def __str__(self) -> str:
        return f"Scellement {self.seq} (#{self.first_seq} à #{self.last_seq})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Les scellements du journal sont en ajout seul.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Les scellements du journal sont en ajout seul.")


class Blob(models.Model):
    """A file stored once under its SHA-256."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    mime_type = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… ({self.mime_type}, {self.size} o)"


class JobRunStatus(models.TextChoices):
    RUNNING = "running", "En cours"
    SUCCEEDED = "succeeded", "Réussie"
    FAILED = "failed", "En échec"


class JobRun(models.Model):
    """One run of a declared job for one of its slots (``socle jobs`` reads them).

    The unique (job, slot) pair is the claim: of several workers, the one whose insert
    lands runs the slot. A run whose lease lapses (its worker died) is taken up again; a
    failed run is retried with back-off while its slot is still the latest.
    """

    job = models.CharField(max_length=80)
    slot = models.DateTimeField()  # the due time it runs for; a manual run's is when it was asked
    manual = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=JobRunStatus.choices,
                              default=JobRunStatus.RUNNING)
    attempt = models.PositiveSmallIntegerField(default=1)
    worker = models.CharField(max_length=120, blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True, default="")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["job", "slot"], name="jobrun_one_per_slot"),
        ]
        indexes: ClassVar = [models.Index(fields=["job", "-slot"], name="jobrun_latest")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}: {self.status}"


class TaskLease(models.Model):
    """The lease of a background task being run: renewed while it runs, lapsed when its
    worker died, after which another worker (or ``socle worker --batch``) takes it up again."""

    task_id = models.UUIDField(primary_key=True)
    worker = models.CharField(max_length=120)
    lease_until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.task_id} ({self.worker}) until {self.lease_until:%H:%M:%S}"


class ChallengePurpose(models.TextChoices):
    SIGNUP = "signup", "Confirmation d'inscription"
    RESET = "reset", "Réinitialisation du mot de passe"
    EMAIL = "email", "Changement d'adresse électronique"


class EmailChallenge(models.Model):
    """A link sent to a mailbox, proving who reads it: single use, short-lived.

    Only the SHA-256 of the link's secret is stored. A sign-up's details (its password
    already hashed) wait here: the account is created when the link is opened, so an
    address someone else tried to register is never blocked for its owner.
    """

    purpose = models.CharField(max_length=10, choices=ChallengePurpose.choices)
    email = models.CharField(max_length=254, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} {self.email} {self.created_at:%Y-%m-%d %H:%M}"


class Upload(models.Model):
    """The right to attach a file one has just deposited: a handle given to its uploader.

    A file is named by this handle, never by its digest (content-addressed storage is an
    internal detail): only the uploader may use it, within ``UPLOAD_VALID``, once. Only
    the SHA-256 of the handle is stored.
    """

    digest = models.CharField(max_length=64, unique=True)
    blob = models.ForeignKey(Blob, on_delete=models.CASCADE, related_name="+")
    uploader = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    name = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"dépôt {self.name or self.blob_id} ({self.created_at:%Y-%m-%d %H:%M})"


class NoticeDelivery(models.TextChoices):
    IMMEDIATE = "immediate", "Un courriel à chaque avis"
    DIGEST = "digest", "Un courriel récapitulatif par jour"
    NONE = "none", "Aucun courriel : seulement dans « Mes tâches »"


class NoticePreference(models.Model):
    """How an agent wants to hear of the work that reaches them (see notices.py)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="notice_preference")
    delivery = models.CharField(max_length=12, choices=NoticeDelivery.choices,
                                default=NoticeDelivery.IMMEDIATE)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user.email}: {self.delivery}"


class AgentNotice(models.Model):
    """Something that reached an agent: a new case, a message, a visa to give, a letter.

    Shown unread in "Mes tâches" and beside the object until the agent opens it, and
    mailed at once or in the daily digest, as the agent chose.
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notices")
    organisation = models.ForeignKey(Organisation, null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=60)  # a kind declared by a module: "portal.case_new"
    ref = models.CharField(max_length=80, blank=True, default="")  # "portal.case:42"
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When it was mailed (at once or in a digest); None while a digest still owes it.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "ref"]),
            models.Index(fields=["emailed_at", "recipient"]),
        ]

    def __str__(self) -> str:
        return f"{self.recipient.email}: {self.title}"
