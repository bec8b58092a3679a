"""Every write of the portal: procedures, adoptions, filing (intake), a case's life.

The other apps and the portal's views import ``socle.portal.services``: this package
re-exports the public services of its modules, one seam a module.
"""

from socle.core.errors import Conflict, ServiceError

from ._base import EDIT_PROCEDURE, PROCESS_CASE, CaseInvalid, case_validate, validation_context
from .acknowledging import case_acknowledge
from .adoptions import adoption_set
from .cases import (
    case_assign,
    case_available_transitions,
    case_comment,
    case_confirm_email,
    case_consultation_record,
    case_document_add,
    case_list_export,
    case_message,
    case_resubmit,
    case_set_amount,
    case_transition,
    offered_for_case,
)
from .demo_procedures import DEMO_PROCEDURES_DIR, DemoLoadReport, demo_procedures_load
from .intake import case_answers_parse, case_draft_save, case_file_for_mail, case_submit
from .procedures import (
    PROCEDURE_SETTINGS,
    caseworker_group_create,
    procedure_create,
    procedure_draft,
    procedure_import,
    procedure_publish,
    procedure_update,
    procedure_withdraw,
)

__all__ = [
    "DEMO_PROCEDURES_DIR",
    "EDIT_PROCEDURE",
    "PROCEDURE_SETTINGS",
    "PROCESS_CASE",
    "CaseInvalid",
    "Conflict",
    "DemoLoadReport",
    "ServiceError",
    "adoption_set",
    "case_acknowledge",
    "case_answers_parse",
    "case_assign",
    "case_available_transitions",
    "case_comment",
    "case_confirm_email",
    "case_consultation_record",
    "case_document_add",
    "case_draft_save",
    "case_file_for_mail",
    "case_list_export",
    "case_message",
    "case_resubmit",
    "case_set_amount",
    "case_submit",
    "case_transition",
    "case_validate",
    "caseworker_group_create",
    "demo_procedures_load",
    "offered_for_case",
    "procedure_create",
    "procedure_draft",
    "procedure_import",
    "procedure_publish",
    "procedure_update",
    "procedure_withdraw",
    "validation_context",
]
