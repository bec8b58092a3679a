"""Roles and the permissions they grant: the one place to review who may do what.

A role is granted on an organisation (``Membership``) and applies to that node and
every node below it. Domain apps add their roles here, never elsewhere.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    permissions: frozenset[str]


def _role(name: str, label: str, *permissions: str) -> Role:
    return Role(name=name, label=label, permissions=frozenset(permissions))


ROLES: dict[str, Role] = {
    role.name: role
    for role in [
        _role(
            "core.admin",
            "Administrateur de la plateforme",
            "core.view_organisation",
            "core.manage_members",
            "core.view_audit",
            "core.view_people",
        ),
        _role("core.auditor", "Auditeur du journal", "core.view_organisation", "core.view_audit"),
        _role(
            "portal.caseworker",
            "Instructeur des démarches",
            "core.view_organisation",
            "portal.view_case",
            "portal.process_case",
        ),
        _role(
            "portal.editor",
            "Rédacteur des démarches",
            "core.view_organisation",
            "portal.view_procedure",
            "portal.edit_procedure",
        ),
        _role(
            "documents.reader", "Lecteur de la GED", "core.view_organisation", "documents.view"
        ),
        _role(
            "documents.editor",
            "Contributeur de la GED",
            "core.view_organisation",
            "documents.view",
            "documents.edit",
            "documents.share_document",
        ),
        _role(
            "documents.archivist",
            "Archiviste de la GED",
            "core.view_organisation",
            "documents.view",
            "documents.edit",
            "documents.share_document",
            "documents.manage_plans",
            "documents.approve_destruction",
            "documents.migrate_documents",
        ),
        _role("mail.clerk", "Agent du courrier", "core.view_organisation", "mail.view", "mail.edit"),
        _role(
            "archives.archivist",
            "Archiviste (SAE)",
            "core.view_organisation",
            "archives.view",
            "archives.ingest",
            "archives.eliminate",
        ),
    ]
}


class UnknownRole(ValueError):
    """Raised for a role name that is not declared above."""


def role_get(name: str) -> Role:
    """Return the declared role of that name, or raise UnknownRole."""
    try:
        return ROLES[name]
    except KeyError:
        raise UnknownRole(f"Rôle inconnu : « {name} ».") from None


def roles_granting(permission: str) -> list[str]:
    """Return the names of the roles that grant a permission."""
    return list(_roles_granting(permission))


@functools.lru_cache(maxsize=256)
def _roles_granting(permission: str) -> tuple[str, ...]:
    return tuple(sorted(name for name, role in ROLES.items() if permission in role.permissions))
