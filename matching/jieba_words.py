"""One jieba dictionary per process: jieba's default one, and tokenizers that add words of their own over it.

jieba's dictionary holds ~350,000 words, ~70 MB of Python objects in every tokenizer that loads it. matching/
segments with jieba's default tokenizer; the library search adds the NMPA catalog's names as user words, which
must not change matching's segmentation. A tokenizer made by `tokenizer_with_words` reads the default
dictionary through an overlay that holds only its own words (and their prefixes): it segments exactly as a
tokenizer with a private copy of the dictionary plus those words would (tests/matching/test_jieba_words.py),
for the memory of the few words added.

No Flask, no database (matching/ stays pure); jieba is imported on first use.
"""
from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterable

_lock = threading.Lock()


def default_tokenizer():
    """jieba's default tokenizer (the one jieba.lcut uses), its dictionary loaded once, logging quiet."""
    with warnings.catch_warnings():
        # jieba's own source trips invalid-escape warnings on import; harmless.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        import jieba
    jieba.setLogLevel(logging.WARNING)
    with _lock, warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        jieba.dt.check_initialized()
    return jieba.dt


class WordsOver(dict):
    """A tokenizer's own words over a shared dictionary: reads fall through to it, writes stay here.

    jieba's Tokenizer reads its FREQ with `in`, `[word]` and `.get(word)` and writes with `[word] = n`
    (add_word, which also notes every prefix of a new word with 0), so these are all the overlay needs.
    """

    __slots__ = ("base", "_own_get", "_base_get")  # bound lookups: one attribute read per call, not two

    def __init__(self, base: dict):
        super().__init__()
        self.base = base
        self._own_get = super().get
        self._base_get = base.get

    def __missing__(self, word):
        return self.base[word]

    def __contains__(self, word) -> bool:
        return dict.__contains__(self, word) or word in self.base

    def get(self, word, default=None):
        value = self._own_get(word)  # frequencies are ints, never None
        return self._base_get(word, default) if value is None else value


def tokenizer_with_words(words: Iterable[str], freq: int, tag: str | None = None):
    """A jieba tokenizer that knows jieba's default dictionary and these words (each at `freq`), sharing the former."""
    import jieba

    base = default_tokenizer()
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ = WordsOver(base.FREQ)
    tokenizer.total = base.total
    tokenizer.dictionary = base.dictionary
    tokenizer.initialized = True  # never load a dictionary of its own
    for word in words:
        tokenizer.add_word(word, freq=freq, tag=tag)
    return tokenizer


def flatten(tokenizer) -> None:
    """Give a tokenizer made by `tokenizer_with_words` a plain dict of its words (the default ones included).

    The overlay's Python-level `in` and `get` make segmentation ~1.6× slower than jieba on a plain dict; a
    process that segments thousands of texts (a re-index's analysis children) flattens its tokenizer first. The
    copy shares the words' objects (~15 MB of table), and segments exactly as the overlay does.
    """
    freq = tokenizer.FREQ
    if isinstance(freq, WordsOver):
        flat = dict(freq.base)
        flat.update(dict.items(freq))
        tokenizer.FREQ = flat
