from __future__ import annotations

from typing import Any

from socle.core.modules import PanelContent


def tick() -> str:
    return "Un."


def answers(**kwargs: Any) -> int:
    return 42


def case_panel(*, actor: Any, ref: str) -> PanelContent:
    return PanelContent(title="Exemple", lines=(f"Référence {ref}",))
