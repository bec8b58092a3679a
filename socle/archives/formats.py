"""Format identification: PRONOM identifiers from Siegfried (pygfried), offline, signatures bundled."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pygfried


@dataclass(frozen=True)
class Identified:
    format_id: str
    format_name: str
    mime_type: str
    tool: str


@lru_cache(maxsize=1)
def tool_name() -> str:
    """Name the tool and the signature files it identifies with, as recorded on each object."""
    return f"siegfried {pygfried.version()}"


def identify(path: Path) -> Identified:
    """Identify the format of one file (its name's extension helps, as in DROID)."""
    report: dict[str, Any] = dict(pygfried.identify(str(path), detailed=True))
    details = ", ".join(str(item.get("details", "")) for item in report.get("identifiers", []))
    tool = f"siegfried {report.get('siegfried', pygfried.version())} ({details})"
    files = report.get("files") or [{}]
    matches = [m for m in files[0].get("matches", []) if m.get("ns") == "pronom"]
    match = matches[0] if matches else {}
    format_id = str(match.get("id", ""))
    if format_id == "UNKNOWN":
        format_id = ""
    return Identified(format_id=format_id, format_name=str(match.get("format", "")),
                      mime_type=str(match.get("mime", "")), tool=tool[:255])
