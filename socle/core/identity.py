"""An organisation's identity: the name, logo and colour its residents see on pages and letters.

The logo is a PNG or JPEG of at most ``LOGO_MAX_BYTES`` and ``LOGO_MAX_PIXELS`` a side,
decoded before it is kept (a file that only claims to be an image is refused). The colour
is the header's background under white text: it must give a contrast of at least 4.5:1
(RGAA criterion 3.2, WCAG 1.4.3), computed as WCAG defines relative luminance.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .access import can
from .blobs import BlobRefused, blob_open, blob_put
from .errors import ServiceError
from .journal import audit_record
from .models import Organisation, User

MANAGE_IDENTITY = "core.manage_identity"
LOGO_MAX_BYTES = 1_000_000
LOGO_MAX_PIXELS = 2000
LOGO_TYPES = {"image/png", "image/jpeg"}
MIN_CONTRAST = 4.5
DEFAULT_COLOR = "#1d3a6e"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_CACHE = "socle:identity:"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def contrast_with_white(color: str) -> float:
    """The WCAG contrast ratio between white text and a background colour "#rrggbb"."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)
    return 1.05 / (luminance + 0.05)


@dataclass(frozen=True)
class Identity:
    name: str
    slug: str
    color: str
    has_logo: bool

    @property
    def custom_color(self) -> bool:
        return self.color != DEFAULT_COLOR

    @property
    def with_article(self) -> str:
        """The name as it follows « avec » : « l'Agglomération … », « Compiègne »."""
        name = self.name
        if name.startswith(("Le ", "La ", "Les ")):
            return name[0].lower() + name[1:]
        if name[:1].lower() in "aeiouyhéèêàâîôû" and not name.startswith("L'"):
            return f"l'{name}"
        return name

    @property
    def services_title(self) -> str:
        """ "Services en ligne de Compiègne", "… de l'Agglomération …", "… du Meux"."""
        name = self.name
        for article, contracted in (("Le ", "du "), ("Les ", "des ")):
            if name.startswith(article):
                return f"Services en ligne {contracted}{name[len(article):]}"
        if name[:1].lower() in "aeiouyhéèêàâîôû":
            return f"Services en ligne de l'{name}" if not name.startswith("L'") else \
                f"Services en ligne de {name}"
        if name.startswith("La "):
            return f"Services en ligne de la {name[3:]}"
        return f"Services en ligne de {name}"


def identity_of(organisation: Organisation) -> Identity:
    return Identity(name=organisation.name, slug=organisation.slug,
                    color=organisation.brand_color or DEFAULT_COLOR,
                    has_logo=organisation.logo_id is not None)


def identity_cached(slug: str) -> Identity | None:
    """The identity of an organisation by slug, kept a minute (every public page shows one)."""
    def read() -> Identity | None:
        organisation = Organisation.objects.filter(slug=slug).first()
        return identity_of(organisation) if organisation else None

    return cache.get_or_set(_CACHE + slug, read, 60)


def site_identity() -> Identity | None:
    return identity_cached(settings.PLATFORM_ROOT_SLUG)


def logo_bytes(organisation: Organisation) -> bytes | None:
    if organisation.logo_id is None or organisation.logo is None:
        return None
    with blob_open(organisation.logo) as handle:
        return handle.read()


def _checked_logo(stream: IO[bytes]) -> bytes:
    content = stream.read(LOGO_MAX_BYTES + 1)
    if len(content) > LOGO_MAX_BYTES:
        raise ServiceError("Le logo dépasse 1 Mo : réduisez-le avant de l'envoyer.",
                           code="payload_too_large", errors={"logo": "Fichier trop lourd."})
    from PIL import Image, UnidentifiedImageError

    # A decompression bomb (a tiny file that claims a huge picture) is refused before decoding.
    Image.MAX_IMAGE_PIXELS = LOGO_MAX_PIXELS * LOGO_MAX_PIXELS
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in ("PNG", "JPEG"):
                raise ServiceError("Le logo doit être une image PNG ou JPEG.",
                                   code="unsupported_type", errors={"logo": "Format refusé."})
            width, height = image.size
            if max(width, height) > LOGO_MAX_PIXELS:
                raise ServiceError(f"Le logo dépasse {LOGO_MAX_PIXELS} pixels de côté.",
                                   code="too_large_image", errors={"logo": "Image trop grande."})
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise ServiceError("Ce fichier n'est pas une image PNG ou JPEG lisible.",
                           code="unsupported_type", errors={"logo": "Image illisible."}) from None
    return content


def identity_set(*, actor: User | None, organisation: Organisation, brand_color: str | None = None,
                 logo: IO[bytes] | None = None, remove_logo: bool = False) -> Organisation:
    """Change an organisation's colour and logo; both are checked before anything is kept."""
    if actor is not None and not can(actor, MANAGE_IDENTITY, organisation):
        raise ServiceError("Votre rôle ne permet pas de modifier l'identité de cette organisation.",
                           code="forbidden")
    changes: dict[str, object] = {}
    if brand_color is not None:
        color = brand_color.strip().lower()
        if color and not _HEX.fullmatch(color):
            raise ServiceError("Indiquez la couleur sous la forme #1d3a6e.", code="invalid_color",
                               errors={"brand_color": "Couleur invalide."})
        if color and contrast_with_white(color) < MIN_CONTRAST:
            ratio = f"{contrast_with_white(color):.1f}".replace(".", ",")
            raise ServiceError(
                f"Cette couleur est trop claire sous un texte blanc (contraste de {ratio}:1, "
                "il faut au moins 4,5:1) : choisissez une teinte plus foncée.",
                code="insufficient_contrast", errors={"brand_color": "Contraste insuffisant."})
        changes["brand_color"] = color
    content = _checked_logo(logo) if logo is not None else None
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if content is not None:
            try:
                stored = blob_put(stream=io.BytesIO(content), max_size=LOGO_MAX_BYTES,
                                  allowed_types=LOGO_TYPES)
            except BlobRefused as exc:
                raise ServiceError(exc.message, code=exc.code) from None
            locked.logo = stored.blob
            changes["logo"] = stored.blob.sha256[:12]
        elif remove_logo:
            locked.logo = None
            changes["logo"] = None
        if "brand_color" in changes:
            locked.brand_color = str(changes["brand_color"])
        locked.save(update_fields=["logo", "brand_color"])
        audit_record(actor=actor, action="organisation.identity", organisation=locked,
                     target=locked, data=changes)
    cache.delete(_CACHE + locked.slug)
    return locked
