"""PDF documents a case produces: acknowledgements, decisions, attestations (ReportLab).

The renderer lives in the core (socle/core/letters.py), shared with the mail register.
"""

from __future__ import annotations

from socle.core.letters import Letter, authority_of, contact_lines, french_date, letter_render

__all__ = ["Letter", "authority_of", "contact_lines", "french_date", "letter_render"]
