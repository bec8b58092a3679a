"""What a browser makes of a download's Content-Disposition: the name it saves the file under."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote


def served_name(response: Any) -> str:
    """Return the file name a response gives the browser (RFC 6266, ``filename*`` decoded)."""
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    extended = re.search(r"filename\*=utf-8''([^;]+)", disposition, re.IGNORECASE)
    if extended:
        return unquote(extended.group(1))
    plain = re.search(r'filename="((?:[^"\\]|\\.)*)"', disposition)
    assert plain, disposition
    return re.sub(r"\\(.)", r"\1", plain.group(1))
