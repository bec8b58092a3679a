"""What every app's API shares: the error body of decision 0004, text types without NUL, and
the check that no two schemas of the API share a name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, get_args

from ninja import Field, Schema
from pydantic import AfterValidator, BaseModel


class ErrorOut(Schema):
    """Every API error: a machine code and a French message."""

    code: str = Field(description="Code stable, pour les programmes : « not_found », "
                                  "« invalid », « nothing_due » ...")
    message: str = Field(description="Message en français, pour les personnes.")


class FieldErrorOut(Schema):
    field: str = Field(description="Chemin du champ : « nom », « enfants.0.prenom ».")
    message: str


class InvalidOut(ErrorOut):
    """A refused request (400): with ``errors`` when values are refused field by field."""

    errors: list[FieldErrorOut] = Field(
        default_factory=list, description="Les valeurs refusées, champ par champ (peut manquer).")


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for argument in get_args(annotation):
        yield from _models_in(argument)


def schema_name_clashes(api: Any) -> dict[str, list[str]]:
    """Return the schema names that two different classes of the API's operations share.

    The OpenAPI document names each component by its class name, and django-ninja
    lets the last one of a name overwrite the others: a client generated from it
    would then read one app's ``DocumentOut`` with another's fields.
    """
    found: dict[str, set[type[BaseModel]]] = {}
    pending: list[type[BaseModel]] = []
    routers = [router for _, router in api._routers]
    while routers:
        router = routers.pop()
        routers.extend(child for _, child in getattr(router, "_routers", []))
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                # ninja's own wrappers are not components: what they hold is.
                wrappers = [*operation.models, *operation.response_models.values()]
                for wrapper in wrappers:
                    if isinstance(wrapper, type) and issubclass(wrapper, BaseModel):
                        for field in wrapper.model_fields.values():
                            pending.extend(_models_in(field.annotation))
    done: set[type[BaseModel]] = set()
    while pending:
        model = pending.pop()
        if model in done:
            continue
        done.add(model)
        found.setdefault(model.__name__, set()).add(model)
        for field in model.model_fields.values():
            pending.extend(_models_in(field.annotation))
    return {name: sorted(f"{m.__module__}.{m.__qualname__}" for m in models)
            for name, models in found.items() if len(models) > 1}


def without_nul(value: Any) -> Any:
    """Refuse a NUL character anywhere in a string or a JSON value (keys included)."""
    # PostgreSQL stores no NUL character, in text nor in JSON: refused here, it is a 400,
    # not a database error. Walked without recursion: JSON may be deep.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("Le caractère nul n'est pas accepté.")
        elif isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return value


Text = Annotated[str, AfterValidator(without_nul)]
Answers = Annotated[dict[str, Any], AfterValidator(without_nul)]
