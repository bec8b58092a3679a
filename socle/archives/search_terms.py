"""Words of a search in the archives, by their French roots."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_ADJECTIVE_ENDINGS = ("ales", "aux", "ale", "al", "elles", "elle", "els", "el")


@lru_cache(maxsize=4096)
def _root(word: str) -> str:
    for ending in _ADJECTIVE_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 5:
            word = word[:-len(ending)]
            break
    return str(snowballstemmer.stemmer("french").stemWord(word))


def search_roots(query: str) -> list[tuple[str, str]]:
    """The words of a search with their French roots (Snowball stem, adjective endings dropped)."""
    return [(word, _root(word)) for word in re.findall(r"\w+", query.lower()) if len(word) <= 40][:12]
