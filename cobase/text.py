"""Text folding shared by every stage: one definition of "the same letters, accents aside".

Names reach cobase written with and without accents (« Guinée » / « Guinee », « comprimé » / « COMPRIME »):
the country resolver, the catalogue, the register and price parsers, the survey readings and the app's
register search all compare them after :func:`strip_accents`, then fold case, spaces or punctuation as
each of them needs.
"""

from __future__ import annotations

import unicodedata


def strip_accents(text: str) -> str:
    """``text`` without its combining marks after compatibility decomposition (é -> e, ç -> c, ﬁ -> fi).

    Letters that do not decompose (œ, æ, ß, ø) are kept as they are, never dropped.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
