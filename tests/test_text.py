"""One accent folding for every stage (cobase.text)."""

from __future__ import annotations

import pytest

from cobase.text import strip_accents


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("Guinée", "Guinee"),
        ("CÔTE D’IVOIRE", "COTE D’IVOIRE"),
        ("comprimé pelliculé", "comprime pellicule"),
        ("Ç", "C"),
        ("ﬁlm", "film"),  # compatibility ligature decomposed
        ("cœur", "cœur"),  # a letter that does not decompose is kept, never dropped
        ("Straße", "Straße"),
        ("", ""),
    ],
)
def test_strip_accents(written: str, plain: str) -> None:
    assert strip_accents(written) == plain
