"""The scheduled job: regenerate each generated file from live data, check it, publish it if valid."""

from __future__ import annotations

from django.conf import settings

from .generation import generated_file
from .selectors import generated_distributions
from .services import distribution_generate


def public_url() -> str:
    """The site's public address, for the absolute links a published file holds."""
    return str(getattr(settings, "OPENDATA_PUBLIC_URL", "") or settings.BASE_URL)


def generate() -> str:
    """Regenerate every generated distribution; an invalid file stays unpublished with its report."""
    published = refused = skipped = 0
    base_url = public_url()
    # The catalogue lists the others: it goes last, once they are published.
    ordered = sorted(generated_distributions(), key=lambda d: d.dataset.generator == "catalogue")
    for distribution in ordered:
        data = generated_file(distribution.dataset, base_url=base_url)
        if data is None:
            skipped += 1
            continue
        validation = distribution_generate(distribution=distribution, data=data)
        if validation.valid:
            published += 1
        else:
            refused += 1
    return (
        f"{published} fichier(s) généré(s) et publié(s), {refused} refusé(s) pour erreurs, "
        f"{skipped} sans générateur."
    )


def udata_sync() -> str:
    """Send the catalogue's open datasets to the udata instance set in the settings."""
    from .services import udata_sync as sync

    return sync(base_url=public_url())
