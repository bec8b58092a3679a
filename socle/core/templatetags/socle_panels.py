"""``{% panels "portal.case" case %}``: what other modules show on this object, for this viewer."""

from __future__ import annotations

from typing import Any

from django import template

from socle.core.modules import object_ref, panels_on

register = template.Library()


@register.inclusion_tag("core/panels.html", takes_context=True)
def panels(context: dict[str, Any], kind: str, obj: Any) -> dict[str, Any]:
    request = context.get("request")
    actor = getattr(request, "user", None)
    return {"panels": panels_on(actor=actor, target=kind, ref=object_ref(kind, obj.pk))}
