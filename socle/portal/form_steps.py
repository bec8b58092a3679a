"""A procedure's form in pages: steps cut by « step » fields, skipped when they do not apply.

Without JavaScript a condition on an answer given in an earlier step is evaluated on the
server between steps: the question, or the whole step, appears only when it applies. The
same rules as the validation's (``form_schema.field_visible``) decide, on the cleaned answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .form_schema import Field, field_visible

RECAP = "recapitulatif"


@dataclass(frozen=True)
class Step:
    number: int  # 1-based, among every step of the form
    title: str
    help: str
    marker: Field | None
    fields: tuple[Field, ...]

    @property
    def names(self) -> set[str]:
        return {f.name for f in self.fields}


def has_steps(fields: list[Field]) -> bool:
    """Whether the form is cut into steps."""
    return any(f.type == "step" for f in fields)


def steps_split(fields: list[Field], first_title: str) -> list[Step]:
    """Return the form's steps; the questions before the first « step » make the first one."""
    steps: list[Step] = []
    marker: Field | None = None
    current: list[Field] = []
    for f in fields:
        if f.type == "step":
            if current or marker is not None:
                steps.append(_step(len(steps) + 1, marker, current, first_title))
            marker, current = f, []
        else:
            current.append(f)
    if current or marker is not None:
        steps.append(_step(len(steps) + 1, marker, current, first_title))
    return steps


def _step(number: int, marker: Field | None, fields: list[Field], first_title: str) -> Step:
    return Step(number=number, title=marker.label if marker else first_title,
                help=marker.help if marker else "", marker=marker, fields=tuple(fields))


def steps_shown(steps: list[Step], cleaned: Mapping[str, Any]) -> list[Step]:
    """Return the steps that apply given the answers (a step's condition on earlier ones)."""
    return [s for s in steps if s.marker is None or field_visible(s.marker, cleaned)]


def step_after(shown: list[Step], number: int) -> Step | None:
    """Return the step shown after the given one, or None when the summary comes next."""
    later = [s for s in shown if s.number > number]
    return later[0] if later else None


def step_before(shown: list[Step], number: int) -> Step | None:
    """Return the step shown before the given one, or None on the first."""
    earlier = [s for s in shown if s.number < number]
    return earlier[-1] if earlier else None


def step_of_error(shown: list[Step], errors: Mapping[str, str]) -> Step | None:
    """Return the first step holding a field in error."""
    heads = {key.split(".")[0] for key in errors}
    for step in shown:
        if step.names & heads:
            return step
    return None
