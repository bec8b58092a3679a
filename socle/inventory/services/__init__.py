"""Every write of the inventory, one topic a module; the public names are re-exported here.

Each service checks the actor's role on the organisation, runs in one transaction and
writes its journal event.
"""

from .assets import (
    asset_create,
    asset_ticket_link,
    asset_transition,
    asset_update,
    asset_values,
    hotspot_save,
    hotspot_status,
    loan_return,
    loan_start,
    site_save,
)
from .csv_import import TEMPLATE_HEADER, ImportReport, assets_import_csv
from .glpi_import import assets_import_glpi
from .licences import (
    installations_replace,
    licence_assign,
    licence_release,
    licence_save,
    licences_alert,
    software_save,
)
from .schools import request_opinion, request_order, request_submit, training_need_record

__all__ = [
    "TEMPLATE_HEADER", "ImportReport", "asset_create", "asset_ticket_link", "asset_transition",
    "asset_update", "asset_values", "assets_import_csv", "assets_import_glpi", "hotspot_save",
    "hotspot_status",
    "installations_replace", "licence_assign", "licence_release", "licence_save",
    "licences_alert", "loan_return", "loan_start", "request_opinion",
    "request_order", "request_submit", "site_save", "software_save", "training_need_record",
]
