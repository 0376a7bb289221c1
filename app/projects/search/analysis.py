"""Text analysis shared by both search backends: normalisation, jieba words, character n-grams, synonyms, queries.

Both views of a text are indexed: jieba words (with the NMPA catalog's product and category names in the user
dictionary, so device terms stay whole) and single characters plus character pairs (so a query segmented
differently from the text, 手术后 / 术后, still meets it). No Flask here: the articles index reuses analyzer().
"""
from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import LowercaseFilter, StopFilter, Token, Tokenizer

from matching.jieba_words import tokenizer_with_words

log = logging.getLogger(__name__)
MAX_QUERY_CHARS = 200
MAX_TERMS = 32
NMPA_DIR = Path(__file__).resolve().parents[3] / "matching" / "data" / "nmpa"

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_RUN = re.compile(f"[{_HAN}]+")
# What the character view keeps: runs of Chinese characters, and latin/digit words (CT, 3d, pd-1 → pd, 1)
_CHAR_RUNS = re.compile(f"[{_HAN}]+|[a-z0-9]+")

# jieba drops a lone Ⅱ; the regulator's documents also write 二类: index and query the latter.
_ROMAN_CLASSES = str.maketrans({"Ⅰ": "一", "Ⅱ": "二", "Ⅲ": "三"})

# Words and characters that carry no meaning in a query or a text (jieba keeps them as words).
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on", "or", "the",
    "to", "with", "的", "了", "和", "与", "及", "或", "在", "是", "对", "于", "为", "等", "之", "其", "个", "把",
    "被", "也", "就", "都", "而", "且", "吗", "呢", "吧", "啊", "呀", "么"})

# Curated synonyms and abbreviations of the domain: each group is one meaning; a query that says one of them
# also looks for the others (at a lower weight than what was typed).
SYNONYM_GROUPS = (
    ("ct", "计算机断层", "计算机断层扫描", "电子计算机断层扫描"),
    ("mri", "磁共振", "核磁共振", "磁共振成像"),
    ("pci", "经皮冠状动脉介入", "冠脉介入"),
    ("ivd", "体外诊断", "体外诊断试剂"),
    ("支架", "stent"),
    ("pet", "正电子发射断层"),
    ("dsa", "数字减影血管造影"),
    ("ecg", "心电图"),
    ("eeg", "脑电图"),
    ("b超", "超声", "彩超"),
    ("ai", "人工智能"),
    ("icu", "重症监护"),
    ("ecmo", "体外膜肺氧合", "体外膜氧合"),
    ("pcr", "聚合酶链式反应"),
    ("poct", "即时检验", "床旁检测"),
    ("oct", "光学相干断层"),
    ("3d打印", "增材制造"),
    ("内窥镜", "内镜"),
    ("导管", "catheter"),
    ("呼吸机", "通气机"),
    ("血糖仪", "血糖监测仪"),
    ("隐形眼镜", "角膜接触镜"),
    ("起搏器", "pacemaker"),
)


def _synonym_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for group in SYNONYM_GROUPS:
        for word in group:
            table[word] = tuple(other for other in group if other != word)
    return table


SYNONYMS = _synonym_table()


@lru_cache(maxsize=1)
def _traditional() -> tuple[dict[int, str], frozenset]:
    """Traditional → simplified characters (OpenCC's character table), and the set of characters it converts."""
    try:
        import opencc
    except ImportError:  # pragma: no cover — optional: without it 繁體 queries match only shared characters
        return {}, frozenset()
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _tab, targets = line.partition("\t")
        if len(source) == 1 and targets and targets.split()[0] != source:
            table[ord(source)] = targets.split()[0]
    return table, frozenset(chr(code) for code in table)


def normalise_text(text) -> str:
    """One spelling for every variant: full-width → half-width (NFKC), lower case, traditional → simplified."""
    text = str(text or "").translate(_ROMAN_CLASSES)
    if not unicodedata.is_normalized("NFKC", text):   # the check is much cheaper than normalising
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    table, traditional = _traditional()
    # most texts have nothing to convert: a set intersection is cheaper than translating every character
    return text.translate(table) if not traditional.isdisjoint(text) else text


def normalise_query(text) -> str:
    """The query as we use it: whitespace collapsed, control characters dropped, at most 200 characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text or ""))
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def _catalog_terms() -> set[str]:
    """Product and category names of the NMPA catalog and determinations (matching/data/nmpa), for jieba."""
    words: set[str] = set()
    try:
        catalog = json.loads((NMPA_DIR / "classification_catalog.json").read_text(encoding="utf-8"))
        for category in catalog.get("l1_categories", []):
            words.add(category.get("name") or "")
        for item in catalog.get("items", []):
            words.update((item.get("name") or "", item.get("exemption_product_name") or ""))
        with open(NMPA_DIR / "determinations_2018_2020.jsonl", encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    words.add(json.loads(line).get("product_name") or "")
    except OSError:  # pragma: no cover — a deployment without the data still searches, with jieba's own words
        log.warning("NMPA catalog not found in %s; jieba runs without the device dictionary", NMPA_DIR)
    words.update(word for group in SYNONYM_GROUPS for word in group)
    # catalog names can be long phrases with punctuation; keep each clean run of 2–12 characters
    clean = set()
    for word in words:
        for part in re.split(r"[\s,，、/()（）;；:：·]+", normalise_text(word)):
            if 2 <= len(part) <= 12:
                clean.add(part)
    return clean


_jieba_lock = threading.Lock()
# jieba's HMM guesses words its dictionary lacks; off it halves segmentation but costs 0.006 NDCG on search-dev
_HMM = True
_USER_WORD_FREQ = 2000   # high enough that a catalog name beats its parts (jieba's own words: median ~10)


@lru_cache(maxsize=1)
def segmenter():
    """A jieba tokenizer of the search's own, with the device dictionary (matching/ keeps jieba's default one).

    Its words lie over jieba's default dictionary, which matching/ uses too: one dictionary per process,
    and matching's segmentation unchanged (matching/jieba_words.py).
    """
    with _jieba_lock:
        return tokenizer_with_words(sorted(_catalog_terms()), freq=_USER_WORD_FREQ, tag="nz")


def words(text) -> list[str]:
    """jieba words of a text in search mode (a long word and its dictionary parts), normalised, no stop words."""
    out = []
    for word, _start, _end in segmenter().tokenize(normalise_text(text), mode="search", HMM=_HMM):
        word = word.strip()
        if word and word not in STOP_WORDS and (len(word) > 1 or word.isalnum()):
            out.append(word)
    return out


class JiebaTokenizer(Tokenizer):
    """jieba words (search mode) of normalised text, as Whoosh tokens."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        cut = segmenter().tokenize(normalise_text(value), mode="search", HMM=_HMM)
        for index, (word, start, end) in enumerate(cut):
            word = word.strip()
            if not word or (len(word) == 1 and not word.isalnum() and not HAN_RUN.fullmatch(word)):
                continue
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = start_pos + index
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


def field_tokens(text) -> list[str]:
    """The word view's tokens of a text: exactly what analyzer() yields (jieba search mode, no stop words)."""
    out = []
    for word, _start, _end in segmenter().tokenize(normalise_text(text), mode="search", HMM=_HMM):
        word = word.strip().lower()
        if not word or (len(word) == 1 and not word.isalnum() and not HAN_RUN.fullmatch(word)):
            continue
        if word not in STOP_WORDS:
            out.append(word)
    return out


@lru_cache(maxsize=1)
def analyzer():
    """The word analyzer for Whoosh (jieba, device dictionary, normalisation), built once per process."""
    segmenter()
    return JiebaTokenizer() | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1)


def unigrams(text) -> list[str]:
    """Single Chinese characters and latin/digit words of a text, normalised."""
    out = []
    for run in _CHAR_RUNS.findall(normalise_text(text)):
        out.extend(run if HAN_RUN.match(run) else (run,))
    return out


def bigrams(word: str) -> list[str]:
    """The character pairs of an all-Chinese word of two or more characters (else none)."""
    if len(word) < 2 or not HAN_RUN.fullmatch(word):
        return []
    return [word[i:i + 2] for i in range(len(word) - 1)]


def text_bigrams(text) -> list[list[str]]:
    """Character pairs of each run of Chinese characters of a text (one list per run: a phrase never spans two)."""
    return [bigrams(run) for run in HAN_RUN.findall(normalise_text(text)) if len(run) > 1]


class CharTokenizer(Tokenizer):
    """The character view for Whoosh: single characters (pairs=False) or character pairs in a row (pairs=True)."""

    def __init__(self, pairs: bool):
        self.pairs = pairs

    def __eq__(self, other):
        return isinstance(other, CharTokenizer) and other.pairs == self.pairs

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        pieces = text_bigrams(value) if self.pairs else [unigrams(value)]
        for run in pieces:
            for text in run:
                token.text = text
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = text
                if positions:
                    token.pos = pos
                pos += 1
                yield token
            pos += 2  # a gap, so that a phrase never spans two runs (or two fields)


@dataclass(frozen=True)
class QueryTerm:
    text: str                       # as indexed (normalised jieba word)
    original: str                   # as typed: for highlighting
    exact: bool = False             # from "quotes": only the exact character sequence matches
    synonyms: tuple[str, ...] = ()  # curated alternatives (normalised)

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.text, *self.synonyms)


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[QueryTerm, ...]    # jieba words and quoted phrases, in order
    chars: tuple[str, ...]          # the character view: single characters and latin words
    pairs: tuple[str, ...]          # the character view: character pairs in a row
    phrase: str                     # the whole query, normalised, without spaces (for the exact-phrase lift)

    def __bool__(self):
        return bool(self.terms or self.chars)

    def __iter__(self):
        return iter(self.terms)

    def __len__(self):
        return len(self.terms)

    def __getitem__(self, index):
        return self.terms[index]

    @property
    def exact(self) -> tuple[QueryTerm, ...]:
        return tuple(t for t in self.terms if t.exact)


@lru_cache(maxsize=1024)
def parse_query(text: str) -> ParsedQuery:
    """Words and characters of a query: no syntax at all (operators, field:value are plain text); "…" is exact."""
    text = normalise_query(text)
    terms: dict[str, QueryTerm] = {}
    loose: list[str] = []
    parts = re.split(r'"([^"]+)"', text)
    for i, part in enumerate(parts):
        compact = normalise_text(re.sub(r"\s+", "", part))
        if i % 2 and len(compact) >= 2 and HAN_RUN.fullmatch(compact):
            terms.setdefault("\x00" + compact, QueryTerm(compact, re.sub(r"\s+", "", part), exact=True))
            continue
        loose.append(part)
        for word, start, end in segmenter().tokenize(normalise_text(part), mode="default", HMM=_HMM):
            word = word.strip()
            if not word or word in STOP_WORDS or not (word.isalnum() or HAN_RUN.fullmatch(word)):
                continue
            original = part[start:end] if len(normalise_text(part)) == len(part) else word
            terms.setdefault(word, QueryTerm(word, original, synonyms=SYNONYMS.get(word, ())))
    loose_text = " ".join(loose)
    chars = tuple(dict.fromkeys(c for c in unigrams(loose_text) if c not in STOP_WORDS))
    pairs = tuple(dict.fromkeys(p for run in text_bigrams(loose_text) for p in run))
    # single characters add little to the word view when there are real words; the character view has them
    kept = [t for t in terms.values() if len(t.text) > 1 or t.exact] or list(terms.values())
    phrase = normalise_text(re.sub(r'[\s"]+', "", text))
    return ParsedQuery(tuple(kept[:MAX_TERMS]), chars[:MAX_TERMS * 2], pairs[:MAX_TERMS * 2], phrase)


def covers(text: str, query: ParsedQuery) -> tuple[bool, bool]:
    """(every word of the query is in the normalised text, the whole query is in it as typed)."""
    if not query.terms:
        return False, False
    all_words = all(any(spelling in text for spelling in term.spellings) for term in query.terms)
    return all_words, bool(query.phrase) and len(query.phrase) > 1 and query.phrase in text


__all__ = ["MAX_QUERY_CHARS", "ParsedQuery", "QueryTerm", "SYNONYMS", "analyzer", "bigrams", "covers",
           "field_tokens", "normalise_query", "normalise_text", "parse_query", "segmenter", "text_bigrams", "unigrams", "words"]
