"""CVSS 3.1 base scores as FIRST's calculator gives them, and malformed vectors refused."""

from __future__ import annotations

import pytest

from socle.security import cvss

# (vector, score, severity) checked against FIRST's CVSS 3.1 calculator.
KNOWN = [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "critical"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium"),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "high"),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, "medium"),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "low"),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, "critical"),
    ("CVSS:3.1/AV:N/AC:L/PR:H/UI:R/S:C/C:L/I:L/A:N", 4.8, "medium"),
    ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:L/A:N", 5.5, "medium"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "none"),
]


@pytest.mark.parametrize(("vector", "score", "severity"), KNOWN)
def test_base_scores_match_the_specification(vector, score, severity):
    result = cvss.score(vector)
    assert (result.score, result.severity) == (score, severity)


def test_metrics_in_any_order_give_the_canonical_vector():
    result = cvss.score("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N")
    assert result.vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert result.score == 9.8


def test_roundup_is_free_of_floating_point_surprises():
    assert cvss.roundup(4.000_000_1) == 4.0
    assert cvss.roundup(4.02) == 4.1
    assert cvss.roundup(4.0) == 4.0


@pytest.mark.parametrize(("vector", "says"), [
    ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/"),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "il manque A"),
    ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV vaut « X »"),
    ("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "deux fois"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F", "« E:F »"),
    ("CVSS:3.1/" + "AV:N/" * 40, "trop long"),
    ("=HYPERLINK(\"http://x\")", "CVSS:3.1/"),
])
def test_a_malformed_vector_is_refused_with_a_french_reason(vector, says):
    with pytest.raises(cvss.InvalidVector) as caught:
        cvss.score(vector)
    assert says in caught.value.message
    assert caught.value.code == "invalid_cvss"
