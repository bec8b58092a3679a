"""Every write of cybersecurity awareness (one topic a file); the public names are here."""

from .awareness import assignment_add, module_save, quiz_submit
from .charter import charter_accept, charter_publish
from .findings import finding_create, finding_retest, finding_status_set
from .phishing import phishing_import

__all__ = [
    "assignment_add",
    "charter_accept",
    "charter_publish",
    "finding_create",
    "finding_retest",
    "finding_status_set",
    "module_save",
    "phishing_import",
    "quiz_submit",
]
