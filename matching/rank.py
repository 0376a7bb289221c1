"""Reciprocal ranking of projects and enterprise intents: plain records in, suggestions with reasons out."""
from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .background import Background, available_cores, single_threaded
from .knowledge import CLASS_NAMES_ZH, IVD_REAGENT_CODE, KnowledgeBase, knowledge_base
from .records import (
    COOPERATION_MODES_ZH, DEVICE_CLASSES, PROJECT_TEXT_WEIGHTS, STAGE_NAMES_ZH, STAGES, as_list, as_number,
    device_class_of, intents_of, product_lines, product_text, province_key, public_text, stage_of, text_of,
)
from .text import SHARED_TERMS_PREFIX, TextEncoder, join_texts, key_terms, l2_normalise, top_k

# Relevance = weighted sum of four similarities in [0, 1]: whole-text cosine, the best
# product line of the enterprise (a project resembles one product, not the whole catalogue),
# and the agreement of both sides' NMPA category guesses (square-rooted, so that a fair
# chance of a shared category already counts): two devices in one category share
# manufacturing, testing and registration know-how even when their texts share few words.
WEIGHT_TEXT = 0.10
WEIGHT_PRODUCT_LINE = 0.55
WEIGHT_CATEGORY = 0.35
WEIGHT_FIRST_LEVEL = 0.05

# A known project class or stage outside an intent's list: "penalise" keeps the pair but
# multiplies the enterprise-side fit by this factor, so it falls behind every comparable
# pair that fits; "exclude" drops the pair altogether.
CONSTRAINT_PENALTY = 0.3
FIELD_MASS_FLOOR = 1e-4
SOFT_MISMATCH = 0.75
REGION_PREFERENCE_MISMATCH = 0.85

TERMS_KEPT_PER_ROW = 200  # prune text vectors: keeps memory and query time linear and small
CATEGORY_KEPT_PER_ROW = 12
SHARED_TERMS_SHOWN = 4
# A shared term found in more than this share of the corpus's documents is never cited as a reason (evidence
# per corpus, beside text.GENERIC_TERMS); below COMMON_TERM_MIN_DOCUMENTS documents shares say too little.
COMMON_TERM_SHARE = 0.25
COMMON_TERM_MIN_DOCUMENTS = 20
PROJECT_TERMS_CACHED = 256
SLOT_TERM_SETS_KEPT = 20_000  # each slot's key terms as a ready set (ranking all projects revisits them)
PAIR_BLOCK_CELLS = 4_000_000
# Below this many texts to guess, forking a child to guess categories costs more than it saves.
PARALLEL_MIN_GUESSES = 2_000
# Ranking projects for at most this many query rows (intents + product lines) reads postings.
POSTINGS_MAX_QUERY_ROWS = 64
# Up to this many intent slots, constraints are applied slot by slot (see _structured_fit_by_slot).
FEW_SLOTS = 8
# Of an enterprise with several intents, an intent is about the first levels its own text names
# or that hold at least this share of its category guess.
INTENT_FOCUS_SHARE = 0.25

AUDIENCE_PUBLIC = "public"
AUDIENCE_OWNER = "owner"


@dataclass(frozen=True)
class Suggestion:
    """One ranked partner: enterprise or project id, score in [0, 1], reasons in Chinese."""

    target_id: str
    score: float
    reasons: tuple[str, ...]
    intent_index: int | None = None
    intent_id: str | None = None


@dataclass
class _Side:
    """Encoded rows of one side (projects, or intent slots) for vectorised pair scoring."""

    text: sp.csr_matrix
    category: sp.csr_matrix
    first_level: np.ndarray
    device_class: np.ndarray  # project: index into DEVICE_CLASSES or -1; slot: bitmask (0 = any)
    stage: np.ndarray
    province: np.ndarray  # integer province key, 0 = unknown
    budget: np.ndarray  # 万元, nan = unknown
    cooperation: np.ndarray  # bitmask of cooperation modes, 0 = unknown
    region_rule: np.ndarray  # project: 0 none, 1 prefers in-province, 2 prefers out; slot: 0 any, 1 in, 2 out
    postings: sp.csr_matrix | None = None  # text transposed (term -> rows), made on first use
    category_postings: sp.csr_matrix | None = None  # category transposed (category -> rows), likewise
    public_terms: "_TermSets | None" = None  # project: key terms of the public text (shared-term reasons)


class MatchIndex:
    """Fitted projects and enterprises, ready to rank in both directions."""

    def __init__(self, knowledge: KnowledgeBase):
        self.knowledge = knowledge
        self.encoder = TextEncoder()
        self.projects: list[dict] = []
        self.enterprises: list[dict] = []
        self._provinces: dict[str, int] = {"": 0}
        self._modes: dict[str, int] = {}
        # Key terms of a project's full text (reasons for its owner), for the last few projects.
        self._project_terms_cache: dict[str, frozenset[str]] = {}
        self._term_weights: dict[str, float] = {}  # IDF of shared terms, for sorting reasons

    @classmethod
    def build(cls, projects: list[dict], enterprises: list[dict],
              knowledge: KnowledgeBase | None = None, *, parallel: bool | None = None,
              ranked: Iterable[str] | None = None) -> "MatchIndex":
        """Fit text features on the corpus and encode every project and enterprise intent once.

        parallel: guess the NMPA categories of projects and product lines in a forked child
        process while this one fits the text features (None: when the corpus has at least
        PARALLEL_MIN_GUESSES texts to guess, a second core exists and this process runs a single
        thread — the platform's background refresh thread never forks, the CLI does). Same
        result either way.

        ranked: ids of the projects to encode (an incremental refresh ranks only the projects that
        changed). Every project still feeds the text features, so these projects rank exactly as in
        an index of all of them; the others are neither guessed nor encoded, and the index knows
        only the ranked ones.
        """
        index = cls(knowledge or knowledge_base())
        corpus_projects = [p for p in projects if isinstance(p, dict)]
        if ranked is not None:
            wanted = {str(i) for i in ranked}
            index.projects = [p for p in corpus_projects if str(p.get("id")) in wanted]
        else:
            index.projects = corpus_projects
        index.enterprises = [e for e in enterprises if isinstance(e, dict)]
        corpus = [_project_full_text(p) for p in corpus_projects]
        corpus += [_enterprise_text(e) for e in index.enterprises]
        products = [product_text(p) for p in index.projects] + index._product_line_rows()[0]
        names, descriptions = [n for n, _ in products], [d for _, d in products]
        missing = _unguessed(index.knowledge, names, descriptions)
        if parallel is None:
            parallel = (len(missing) >= PARALLEL_MIN_GUESSES and available_cores() >= 2
                        and single_threaded())
        guessing = Background(_guess_categories, index.knowledge, [names[i] for i in missing],
                              [descriptions[i] for i in missing], fork=parallel)
        index.encoder.fit(corpus)
        project_text = index._project_text(index.projects)
        _remember_guesses(index.knowledge, [names[i] for i in missing], [descriptions[i] for i in missing],
                          guessing.result())
        categories = _guess_categories(index.knowledge, names, descriptions)
        n = len(index.projects)
        index._encode_enterprises(categories[n:])
        index.project_side = index._encode_projects(index.projects, categories[:n], project_text)
        index.project_row = {str(p.get("id")): i for i, p in enumerate(index.projects)}
        index.enterprise_row = {str(e.get("id")): i for i, e in enumerate(index.enterprises)}
        return index

    # -- encoding ---------------------------------------------------------------------------

    def _province(self, region) -> int:
        key = province_key(region)
        return self._provinces.setdefault(key, len(self._provinces)) if key else 0

    def _mode_mask(self, modes) -> int:
        mask = 0
        for mode in as_list(modes):
            mask |= 1 << self._modes.setdefault(mode, len(self._modes))
        return mask

    def _project_text(self, projects: list[dict]) -> sp.csr_matrix:
        return self.encoder.transform_fields(
            [{f: text_of(p, f) for f in PROJECT_TEXT_WEIGHTS} for p in projects], PROJECT_TEXT_WEIGHTS)

    def _encode_projects(self, projects: list[dict], guessed: np.ndarray | None = None,
                         text: sp.csr_matrix | None = None) -> _Side:
        """Encode projects; `guessed` (category guesses) and `text` may come precomputed."""
        n = len(projects)
        if text is None:
            text = self._project_text(projects)
        if guessed is None:
            texts = [product_text(p) for p in projects]
            guessed = _guess_categories(self.knowledge, [t[0] for t in texts], [t[1] for t in texts])
        category = np.zeros((n, len(self.knowledge.categories)), dtype=np.float32)
        for i, project in enumerate(projects):
            category[i] = guessed[i]
            if text_of(project, "project_type") == "ivd":
                category[i] *= 0.5
                category[i, self.knowledge.category_index[IVD_REAGENT_CODE]] += 0.5
        return _Side(
            # Sorted indices: sums over a row's terms run in one order whichever way they are read.
            text=_prune(text, TERMS_KEPT_PER_ROW).sorted_indices(),
            category=_prune(sp.csr_matrix(category), CATEGORY_KEPT_PER_ROW, normalise=False),
            first_level=self._first_level(category),
            device_class=np.array([DEVICE_CLASSES.index(c) if (c := device_class_of(p)) else -1 for p in projects],
                                  dtype=np.int16),
            stage=np.array([STAGES.index(s) if (s := stage_of(p)) else -1 for p in projects], dtype=np.int16),
            province=np.array([self._province(text_of(p, "province")) for p in projects], dtype=np.int32),
            budget=np.array([as_number(p.get("budget_wan")) or np.nan for p in projects], dtype=np.float64),
            cooperation=np.array([self._mode_mask(p.get("wanted_cooperation_modes")) for p in projects],
                                 dtype=np.int64),
            region_rule=np.array([_partner_region_rule(p) for p in projects], dtype=np.int8),
            public_terms=_TermSets(key_terms(public_text(p)) for p in projects),
        )

    def _first_level(self, category: np.ndarray) -> np.ndarray:
        return np.asarray(category @ self.knowledge.category_to_first.toarray(), dtype=np.float32)

    def _product_line_rows(self) -> tuple[list[tuple[str, str]], list[int], dict[tuple[int, int], int]]:
        """(name, description) of every product line and intent of the enterprises, its owner row,
        and the line of each intent with text, keyed by (enterprise row, intent index)."""
        line_rows: list[tuple[str, str]] = []
        line_owner: list[int] = []
        intent_line: dict[tuple[int, int], int] = {}
        for e_row, enterprise in enumerate(self.enterprises):
            lines = product_lines(text_of(enterprise, "overview"))
            for i, intent in enumerate(intents_of(enterprise)):
                if _intent_text(intent):
                    intent_line[(e_row, i)] = len(line_rows) + len(lines)
                    lines.append((_intent_text(intent), ""))
            line_rows.extend(lines)
            line_owner.extend([e_row] * len(lines))
        return line_rows, line_owner, intent_line

    def _encode_enterprises(self, line_guessed: np.ndarray | None = None) -> None:
        """Encode the enterprises' intent slots; `line_guessed` (product-line category guesses) may come precomputed."""
        knowledge = self.knowledge
        slots: list[tuple[int, int | None]] = []
        slot_texts: list[str] = []
        for e_row, enterprise in enumerate(self.enterprises):
            intents = intents_of(enterprise)
            for i, intent in enumerate(intents):
                slots.append((e_row, i))
                slot_texts.append(join_texts([_enterprise_text(enterprise), _intent_text(intent)]))
            if not intents:
                slots.append((e_row, None))
                slot_texts.append(_enterprise_text(enterprise))
        line_rows, line_owner, intent_line = self._product_line_rows()
        n_enterprises = len(self.enterprises)
        n_categories = len(knowledge.categories)

        # Coverage: the most probable category of any product line counts in full, so an
        # enterprise with ten product lines covers ten categories rather than averaging them.
        coverage = np.zeros((n_enterprises, n_categories), dtype=np.float32)
        if line_guessed is None:
            line_guessed = _guess_categories(knowledge, [name for name, _ in line_rows],
                                             [desc for _, desc in line_rows])
        # The declared field names the enterprise's first-level categories exactly: a product
        # line's guess is confined to them (unless it has no mass there at all).
        field_masks = [knowledge.category_mask_for_field(text_of(e, "field")) for e in self.enterprises]
        for owner, guessed in zip(line_owner, line_guessed):
            np.maximum(coverage[owner], _sharpen(_confine(guessed, field_masks[owner])), out=coverage[owner])
        first_cover = np.minimum(self._first_level(coverage), 1.0)
        for e_row, enterprise in enumerate(self.enterprises):
            first_cover[e_row, knowledge.first_level_mask_for_field(text_of(enterprise, "field"))] = 1.0

        self.slots = slots
        self.slot_enterprise = np.array([e for e, _ in slots], dtype=np.int64)
        self.enterprise_first_slot = np.searchsorted(self.slot_enterprise, np.arange(n_enterprises))
        slot_coverage, slot_first = self._focus_slots(slots, coverage, first_cover, intent_line, line_guessed)
        line_text = self.encoder.transform([join_texts([n, d]) for n, d in line_rows])
        # Lines sorted by owner so that a row-wise maximum per enterprise is one reduceat.
        order = np.argsort(np.array(line_owner, dtype=np.int64), kind="stable")
        self.lines = _prune(line_text[order], TERMS_KEPT_PER_ROW) if len(line_rows) else sp.csr_matrix(
            (0, self.encoder.dimension), dtype=np.float32)
        self.line_owner = np.array(line_owner, dtype=np.int64)[order]
        intents = [intents_of(self.enterprises[e])[i] if i is not None else {} for e, i in slots]
        self.slot_side = _Side(
            text=_prune(self.encoder.transform(slot_texts), TERMS_KEPT_PER_ROW),
            category=slot_coverage,
            first_level=slot_first,
            device_class=np.array([_mask(i.get("device_classes"), DEVICE_CLASSES) for i in intents], dtype=np.int64),
            stage=np.array([_mask(i.get("stages"), STAGES) for i in intents], dtype=np.int64),
            province=np.array([self._province(text_of(self.enterprises[e], "region")) for e, _ in slots],
                              dtype=np.int32),
            budget=np.array([as_number(i.get("budget_wan")) or np.nan for i in intents], dtype=np.float64),
            cooperation=np.array([self._mode_mask(i.get("cooperation_modes")) for i in intents], dtype=np.int64),
            region_rule=np.array([{"in_province": 1, "out_of_province": 2}.get(i.get("region_preference"), 0)
                                  for i in intents], dtype=np.int8),
        )
        self.slot_terms = _TermSets((key_terms(text) for text in slot_texts), remember=SLOT_TERM_SETS_KEPT)

    def _focus_slots(self, slots: list[tuple[int, int | None]], coverage: np.ndarray, first_cover: np.ndarray,
                     intent_line: dict[tuple[int, int], int], line_guessed: np.ndarray
                     ) -> tuple[sp.csr_matrix, np.ndarray]:
        """Category coverage and first-level cover of each intent slot.

        An enterprise with one intent offers it all its product lines. With several intents each
        one is narrower (心血管与监护 next to 眼科耗材), so a slot keeps only the enterprise's
        categories under the first levels its own text names or is guessed to be about; an
        intent that points nowhere the enterprise covers keeps the whole coverage.
        """
        knowledge = self.knowledge
        intent_counts = np.bincount([e for e, _ in slots], minlength=len(self.enterprises))
        slot_coverage = coverage[[e for e, _ in slots]] if slots else np.zeros((0, coverage.shape[1]), np.float32)
        slot_first = first_cover[[e for e, _ in slots]] if slots else np.zeros((0, first_cover.shape[1]), np.float32)
        for s, (e_row, i) in enumerate(slots):
            if i is None or intent_counts[e_row] < 2 or (e_row, i) not in intent_line:
                continue
            intent = intents_of(self.enterprises[e_row])[i]
            focus = self._first_level(line_guessed[intent_line[(e_row, i)]]) >= INTENT_FOCUS_SHARE
            focus |= knowledge.first_level_mask_for_field(_intent_text(intent))
            focused_first = slot_first[s] * focus
            if focused_first.sum() <= 0:
                continue
            slot_first[s] = focused_first
            slot_coverage[s] = slot_coverage[s] * focus[knowledge.category_first_index]
        return (_prune(sp.csr_matrix(slot_coverage), CATEGORY_KEPT_PER_ROW * 3, normalise=False),
                np.asarray(slot_first, dtype=np.float32))

    # -- scoring ----------------------------------------------------------------------------

    def pair_scores(self, projects: _Side, project_rows: np.ndarray | None, slot_rows: np.ndarray,
                    hard_constraints: str = "penalise") -> np.ndarray:
        """Reciprocal scores of a block of projects (rows) against intent slots (columns)."""
        every_slot = len(slot_rows) == len(self.slots)
        slots = self.slot_side if every_slot else _take(self.slot_side, slot_rows)
        # Copying a 100k-row side per query cost more than scoring it; slice only real blocks.
        whole_side = project_rows is None or len(project_rows) == projects.text.shape[0]
        if not whole_side:
            projects = _take(projects, project_rows)
        relevance = self._relevance(projects, slots, slot_rows, every_slot, whole_side)
        enterprise_fit, project_fit = _structured_fit(projects, slots, hard_constraints)
        # Reciprocal: the enterprise's interest in the project and the clinician's interest in
        # the enterprise both have to be high; the harmonic mean punishes a one-sided match.
        towards_project = relevance * enterprise_fit
        towards_enterprise = relevance * project_fit
        total = towards_project + towards_enterprise
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(total > 0, 2 * towards_project * towards_enterprise / total, 0.0)
        return np.clip(score, 0.0, 1.0)

    def _relevance(self, projects: _Side, slots: _Side, slot_rows: np.ndarray, every_slot: bool,
                   whole_side: bool = False) -> np.ndarray:
        if every_slot:
            # Transposes of the whole enterprise side are made once: converting them per query
            # cost more than the products themselves.
            text_t, category_t = self._transposed()
            text = (projects.text @ text_t).toarray()
            category = (projects.category @ category_t).toarray()
        else:
            text = _text_similarity(projects, slots.text, whole_side)
            category = _category_overlap(projects, slots.category, whole_side)
        first = projects.first_level @ slots.first_level.T
        enterprise_rows = self.slot_enterprise[slot_rows]
        line = self._line_similarity(projects, enterprise_rows, every_slot, whole_side)
        return (WEIGHT_TEXT * text + WEIGHT_PRODUCT_LINE * line + WEIGHT_CATEGORY * np.sqrt(np.clip(category, 0.0, 1.0))
                + WEIGHT_FIRST_LEVEL * np.minimum(first, 1.0))

    def _transposed(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        if getattr(self, "_transposes", None) is None:
            self._transposes = (self.slot_side.text.T.tocsr(), self.slot_side.category.T.tocsr(),
                                self.lines.T.tocsr())
        return self._transposes[0], self._transposes[1]

    def _line_similarity(self, projects: _Side, enterprise_rows: np.ndarray, every_slot: bool = False,
                         whole_side: bool = False) -> np.ndarray:
        project_text = projects.text
        unique, inverse = np.unique(enterprise_rows, return_inverse=True)
        best = np.zeros((project_text.shape[0], len(unique)), dtype=np.float32)
        if self.lines.shape[0] == 0 or len(unique) == 0:
            return best[:, inverse]
        starts = np.searchsorted(self.line_owner, unique, side="left")
        stops = np.searchsorted(self.line_owner, unique, side="right")
        has_lines = stops > starts
        if not has_lines.any():
            return best[:, inverse]
        if every_slot and has_lines.all() and stops[-1] - starts[0] == self.lines.shape[0]:
            self._transposed()
            similarity = (project_text @ self._transposes[2]).toarray()
        else:
            picked = np.concatenate([np.arange(a, b) for a, b in zip(starts[has_lines], stops[has_lines])])
            similarity = _text_similarity(projects, self.lines[picked], whole_side)
        offsets = np.concatenate([[0], np.cumsum((stops - starts)[has_lines])[:-1]])
        best[:, has_lines] = np.maximum.reduceat(similarity, offsets, axis=1)
        return best[:, inverse]

    # -- reasons ----------------------------------------------------------------------------

    def reasons(self, project: dict, project_side: _Side, project_row: int, slot: int,
                audience: str = AUDIENCE_PUBLIC) -> tuple[str, ...]:
        """Chinese reasons for one pair, citing only project text the audience may see."""
        e_row, i = self.slots[slot]
        enterprise = self.enterprises[e_row]
        intent = intents_of(enterprise)[i] if i is not None else {}
        reasons: list[str] = []

        category = _dense_row(project_side.category, project_row)
        shared = category * _dense_row(self.slot_side.category, slot)
        best = int(np.argmax(shared)) if shared.size else 0
        if shared.size and shared[best] >= 0.15:
            reasons.append(f"同属NMPA分类 {self.knowledge.category_label(self.knowledge.categories[best])}")
        else:
            first_shared = project_side.first_level[project_row] * self.slot_side.first_level[slot]
            j = int(np.argmax(first_shared)) if first_shared.size else 0
            if first_shared.size and first_shared[j] >= 0.3:
                code = self.knowledge.first_levels[j]
                reasons.append(f"同属NMPA一级分类 {code} {self.knowledge.l1_names.get(code, '')}".rstrip())

        if audience == AUDIENCE_PUBLIC and project_side.public_terms is not None:
            project_terms = project_side.public_terms.get(project_row)
        else:
            project_terms = self._project_terms(project, audience)
        terms = sorted((t for t in project_terms & self.slot_terms.get(slot) if not self._too_common(t)),
                       key=lambda t: (-self._term_weight(t), t))
        if terms:
            reasons.append(SHARED_TERMS_PREFIX + "、".join(terms[:SHARED_TERMS_SHOWN]))

        reasons.extend(_constraint_reasons(project, enterprise, intent, audience))
        if not reasons:
            reasons.append("文本内容相近")
        return tuple(reasons)

    def _project_terms(self, project: dict, audience: str) -> frozenset[str]:
        # The public terms of encoded projects are kept on their side; the full text's terms
        # (owner reasons) are needed k times in a row when ranking all projects.
        text = public_text(project) if audience == AUDIENCE_PUBLIC else _project_full_text(project)
        terms = self._project_terms_cache.get(text)
        if terms is None:
            terms = frozenset(key_terms(text))
            if len(self._project_terms_cache) >= PROJECT_TERMS_CACHED:
                self._project_terms_cache.clear()
            self._project_terms_cache[text] = terms
        return terms

    def _too_common(self, term: str) -> bool:
        """A term in more than COMMON_TERM_SHARE of this corpus's documents: generic here, whatever the word lists say."""
        vectorizer = self.encoder.word_vectorizer
        n = getattr(vectorizer, "n_documents_", 0)
        if n < COMMON_TERM_MIN_DOCUMENTS:
            return False
        j = vectorizer.vocabulary_.get(term)
        if j is None:
            return term in getattr(vectorizer, "too_common_", ())
        # Smooth IDF (scikit-learn): idf = ln((1 + n) / (1 + df)) + 1.
        documents = (1 + n) / np.exp(float(vectorizer.idf_[j]) - 1) - 1
        return documents > COMMON_TERM_SHARE * n

    def _term_weight(self, term: str) -> float:
        weight = self._term_weights.get(term)
        if weight is None:
            j = self.encoder.word_vectorizer.vocabulary_.get(term)
            weight = self._term_weights[term] = float(self.encoder.word_vectorizer.idf_[j]) if j is not None else 0.0
        return weight

    # -- helpers for the public functions ---------------------------------------------------

    def project_view(self, project: dict) -> tuple[_Side, int]:
        """Encoded side for a project: reused from the index when the same record was indexed."""
        row = self.project_row.get(str(project.get("id")))
        if row is not None and self.projects[row] == project:
            return self.project_side, row
        return self._encode_projects([project]), 0

    def slot_rows_of(self, enterprise: dict, intent_index: int | None) -> tuple[np.ndarray, "MatchIndex"]:
        """Slots of an indexed enterprise, or of a fresh one encoded on the fly."""
        row = self.enterprise_row.get(str(enterprise.get("id")))
        index = self
        if row is None or self.enterprises[row] != enterprise:
            index = _single_enterprise_index(self, enterprise)
            row = 0
        rows = np.flatnonzero(index.slot_enterprise == row)
        if intent_index is not None:
            rows = np.array([s for s in rows if index.slots[s][1] == intent_index], dtype=np.int64)
        return rows, index


def rank_for_project(index: MatchIndex, project: dict, k: int = 10, *, audience: str = AUDIENCE_PUBLIC,
                     hard_constraints: str = "penalise") -> list[Suggestion]:
    """Best enterprises for a project, each with its best-fitting intent, score and reasons."""
    if not index.slots or k <= 0:
        return []
    side, row = index.project_view(project)
    all_slots = np.arange(len(index.slots))
    scores = index.pair_scores(side, np.array([row]), all_slots, hard_constraints)[0]
    return _best_enterprises(index, project, side, row, scores, k, audience, hard_constraints)


def rank_for_enterprise(index: MatchIndex, enterprise: dict, k: int = 10, intent_index: int | None = None, *,
                        audience: str = AUDIENCE_PUBLIC, hard_constraints: str = "penalise") -> list[Suggestion]:
    """Best projects for an enterprise (or one of its intents), with score and reasons."""
    if not index.projects or k <= 0:
        return []
    slot_rows, owner_index = index.slot_rows_of(enterprise, intent_index)
    if len(slot_rows) == 0:
        return []
    n = len(index.projects)
    best_score = np.full(n, -1.0)
    best_slot = np.zeros(n, dtype=np.int64)
    block = max(1, PAIR_BLOCK_CELLS // max(len(slot_rows), 1))
    for start in range(0, n, block):
        rows = np.arange(start, min(start + block, n))
        scores = owner_index.pair_scores(index.project_side, rows, slot_rows, hard_constraints)
        column = np.argmax(scores, axis=1)
        best_score[rows] = scores[np.arange(len(rows)), column]
        best_slot[rows] = slot_rows[column]
    if hard_constraints == "exclude":
        best_score[best_score <= 0] = -1.0
    chosen = [j for j in top_k(best_score, k) if best_score[j] > 0]
    suggestions = []
    for j in chosen:
        project = index.projects[j]
        slot = int(best_slot[j])
        _, intent_i = owner_index.slots[slot]
        suggestions.append(Suggestion(
            target_id=str(project.get("id")),
            score=round(float(best_score[j]), 4),
            reasons=owner_index.reasons(project, index.project_side, int(j), slot, audience),
            intent_index=intent_i,
            intent_id=_intent_id(owner_index.enterprises[owner_index.slots[slot][0]], intent_i),
        ))
    return suggestions


def _best_enterprises(index: MatchIndex, project: dict, side: _Side, row: int, scores: np.ndarray, k: int,
                      audience: str, hard_constraints: str) -> list[Suggestion]:
    # Slots are stored in enterprise order, every enterprise has at least one; sorting by
    # (enterprise, -score, slot) puts each enterprise's best intent first in its group.
    order = np.lexsort((np.arange(len(scores)), -scores, index.slot_enterprise))
    best_slot = order[index.enterprise_first_slot]
    per_enterprise = scores[best_slot]
    chosen = [e for e in top_k(per_enterprise, k) if per_enterprise[e] > 0]
    suggestions = []
    for e_row in chosen:
        slot = int(best_slot[e_row])
        enterprise = index.enterprises[e_row]
        intent_i = index.slots[slot][1]
        suggestions.append(Suggestion(
            target_id=str(enterprise.get("id")),
            score=round(float(per_enterprise[e_row]), 4),
            reasons=index.reasons(project, side, row, slot, audience),
            intent_index=intent_i,
            intent_id=_intent_id(enterprise, intent_i),
        ))
    return suggestions


def rank_all(projects: list[dict], enterprises: list[dict], k: int = 10, direction: str = "project", *,
             index: MatchIndex | None = None, audience: str = AUDIENCE_PUBLIC,
             hard_constraints: str = "penalise") -> Iterator[dict]:
    """Rank every project (direction 'project') or every enterprise ('enterprise'); yield output dicts."""
    index = index or MatchIndex.build(projects, enterprises)
    if direction == "project":
        yield from _rank_all_projects(index, k, audience, hard_constraints)
    elif direction == "enterprise":
        for enterprise in index.enterprises:
            ranked = rank_for_enterprise(index, enterprise, k, audience=audience, hard_constraints=hard_constraints)
            yield {"enterprise_id": enterprise.get("id"),
                   "ranked": [_suggestion_dict("project_id", s) for s in ranked]}
    else:
        raise ValueError(f"direction must be 'project' or 'enterprise', not {direction!r}")


def _rank_all_projects(index: MatchIndex, k: int, audience: str, hard_constraints: str) -> Iterator[dict]:
    n_slots = len(index.slots)
    block = max(1, PAIR_BLOCK_CELLS // max(n_slots, 1))
    all_slots = np.arange(n_slots)
    for start in range(0, len(index.projects), block):
        rows = np.arange(start, min(start + block, len(index.projects)))
        scores = index.pair_scores(index.project_side, rows, all_slots, hard_constraints) if n_slots else None
        for offset, row in enumerate(rows):
            project = index.projects[row]
            ranked = [] if scores is None or k <= 0 else _best_enterprises(
                index, project, index.project_side, int(row), scores[offset], k, audience, hard_constraints)
            yield {"project_id": project.get("id"), "ranked": [_suggestion_dict("enterprise_id", s) for s in ranked]}


def _suggestion_dict(key: str, suggestion: Suggestion) -> dict:
    entry = {key: suggestion.target_id, "score": suggestion.score, "reasons": list(suggestion.reasons)}
    if suggestion.intent_index is not None:
        entry["intent_index"] = suggestion.intent_index
    if suggestion.intent_id is not None:
        entry["intent_id"] = suggestion.intent_id
    return entry


# -- structured fit ---------------------------------------------------------------------------

def _structured_fit(projects: _Side, slots: _Side, hard_constraints: str) -> tuple[np.ndarray, np.ndarray]:
    if slots.device_class.shape[0] <= FEW_SLOTS:
        return _structured_fit_by_slot(projects, slots, hard_constraints)
    shape = (projects.device_class.shape[0], slots.device_class.shape[0])
    enterprise_fit = np.ones(shape)
    project_fit = np.ones(shape)

    for project_value, slot_mask in ((projects.device_class, slots.device_class), (projects.stage, slots.stage)):
        known = (project_value[:, None] >= 0) & (slot_mask[None, :] != 0)
        bit = np.left_shift(1, np.maximum(project_value, 0).astype(np.int64))[:, None]
        violated = known & ((slot_mask[None, :] & bit) == 0)
        if hard_constraints == "exclude":
            enterprise_fit[violated] = 0.0
        else:
            enterprise_fit[violated] *= CONSTRAINT_PENALTY

    same_province = (projects.province[:, None] == slots.province[None, :])
    both_known = (projects.province[:, None] > 0) & (slots.province[None, :] > 0)
    # The intent's region preference is the enterprise's wish; the clinician's named partners
    # (only in-province, or only out-of-province) are the clinician's.
    wants_in = (slots.region_rule == 1)[None, :]
    wants_out = (slots.region_rule == 2)[None, :]
    enterprise_fit[both_known & wants_in & ~same_province] *= REGION_PREFERENCE_MISMATCH
    enterprise_fit[both_known & wants_out & same_province] *= REGION_PREFERENCE_MISMATCH
    prefers_in = (projects.region_rule == 1)[:, None]
    prefers_out = (projects.region_rule == 2)[:, None]
    project_fit[both_known & prefers_in & ~same_province] *= REGION_PREFERENCE_MISMATCH
    project_fit[both_known & prefers_out & same_province] *= REGION_PREFERENCE_MISMATCH

    modes_known = (projects.cooperation[:, None] != 0) & (slots.cooperation[None, :] != 0)
    modes_disjoint = modes_known & ((projects.cooperation[:, None] & slots.cooperation[None, :]) == 0)
    enterprise_fit[modes_disjoint] *= SOFT_MISMATCH
    project_fit[modes_disjoint] *= SOFT_MISMATCH

    need = projects.budget[:, None]
    offer = slots.budget[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        short = np.where(np.isfinite(need) & np.isfinite(offer) & (offer < need), np.sqrt(offer / need), 1.0)
    project_fit *= np.maximum(short, SOFT_MISMATCH * 0.8)
    return enterprise_fit, project_fit


def _structured_fit_by_slot(projects: _Side, slots: _Side, hard_constraints: str) -> tuple[np.ndarray, np.ndarray]:
    """_structured_fit for a few slots against many projects, one slot at a time.

    Same factors multiplied in the same order, so the same numbers; but a rule the slot does
    not state (no class list, no region preference, no budget) costs nothing here, where the
    vectorised version builds a full projects x slots mask for it.
    """
    n, n_slots = projects.device_class.shape[0], slots.device_class.shape[0]
    enterprise_fit = np.ones((n_slots, n))
    project_fit = np.ones((n_slots, n))
    known_province = projects.province > 0
    prefers_in = known_province & (projects.region_rule == 1)
    prefers_out = known_province & (projects.region_rule == 2)
    project_modes = projects.cooperation != 0
    budget_known = np.isfinite(projects.budget)
    for j in range(n_slots):
        towards_project, towards_enterprise = enterprise_fit[j], project_fit[j]
        for project_value, slot_mask in ((projects.device_class, slots.device_class[j]),
                                         (projects.stage, slots.stage[j])):
            if slot_mask == 0:
                continue
            bit = np.left_shift(1, np.maximum(project_value, 0).astype(np.int64))
            violated = (project_value >= 0) & ((slot_mask & bit) == 0)
            if hard_constraints == "exclude":
                towards_project[violated] = 0.0
            else:
                towards_project[violated] *= CONSTRAINT_PENALTY
        province = slots.province[j]
        if province > 0:
            same_province = projects.province == province
            rule = slots.region_rule[j]
            if rule == 1:
                towards_project[known_province & ~same_province] *= REGION_PREFERENCE_MISMATCH
            elif rule == 2:
                towards_project[known_province & same_province] *= REGION_PREFERENCE_MISMATCH
            towards_enterprise[prefers_in & ~same_province] *= REGION_PREFERENCE_MISMATCH
            towards_enterprise[prefers_out & same_province] *= REGION_PREFERENCE_MISMATCH
        modes = slots.cooperation[j]
        if modes != 0:
            disjoint = project_modes & ((projects.cooperation & modes) == 0)
            towards_project[disjoint] *= SOFT_MISMATCH
            towards_enterprise[disjoint] *= SOFT_MISMATCH
        offer = slots.budget[j]
        if np.isfinite(offer):
            need = projects.budget
            with np.errstate(invalid="ignore", divide="ignore"):
                short = np.where(budget_known & (offer < need), np.sqrt(offer / need), 1.0)
            towards_enterprise *= np.maximum(short, SOFT_MISMATCH * 0.8)
    return enterprise_fit.T, project_fit.T


def _constraint_reasons(project: dict, enterprise: dict, intent: dict, audience: str) -> list[str]:
    reasons = []
    device_class = device_class_of(project)
    allowed = as_list(intent.get("device_classes"))
    if device_class and allowed:
        allowed_zh = "、".join(CLASS_NAMES_ZH.get(c, c) for c in allowed)
        if device_class in allowed:
            reasons.append(f"产品分类{CLASS_NAMES_ZH[device_class]}符合企业意向")
        else:
            reasons.append(f"注意：产品分类{CLASS_NAMES_ZH[device_class]}不在企业意向范围（{allowed_zh}）内")
    stage = stage_of(project)
    stages = as_list(intent.get("stages"))
    if stage and stages:
        if stage in stages:
            reasons.append(f"项目阶段（{STAGE_NAMES_ZH[stage]}）符合企业意向")
        else:
            reasons.append(f"注意：项目阶段（{STAGE_NAMES_ZH[stage]}）不在企业意向阶段内")
    wanted = set(as_list(project.get("wanted_cooperation_modes")))
    offered = as_list(intent.get("cooperation_modes"))
    common = [m for m in offered if m in wanted]
    if common:
        reasons.append("合作方式一致：" + "、".join(COOPERATION_MODES_ZH.get(m, m) for m in common))
    project_province = province_key(text_of(project, "province"))
    enterprise_province = province_key(text_of(enterprise, "region"))
    preference = intent.get("region_preference")
    if project_province and enterprise_province:
        same = project_province == enterprise_province
        if (preference == "in_province" and same) or (preference == "out_of_province" and not same):
            reasons.append("项目所在地符合企业地域偏好")
        if audience == AUDIENCE_OWNER:
            rule = _partner_region_rule(project)
            if (rule == 1 and same) or (rule == 2 and not same):
                reasons.append("企业所在地符合意向合作企业（{}）偏好".format("省内" if rule == 1 else "省外"))
        elif same:
            # Read by either side: name the province rather than call one side "同省企业".
            reasons.append(f"项目与企业同在{text_of(project, 'province') or text_of(enterprise, 'region')}")
    budget = as_number(intent.get("budget_wan"))
    need = as_number(project.get("budget_wan"))
    if budget and need and budget >= need:
        reasons.append(f"企业预算{budget:g}万元可覆盖项目需求{need:g}万元")
    if audience == AUDIENCE_OWNER and _names_enterprise(project, enterprise):
        reasons.append("该企业为医务人员填写的意向合作企业")
    return reasons


# -- small helpers ------------------------------------------------------------------------------

def _project_full_text(project: dict) -> str:
    return join_texts(text_of(project, f) for f in PROJECT_TEXT_WEIGHTS)


def _enterprise_text(enterprise: dict) -> str:
    return join_texts([text_of(enterprise, "field"), text_of(enterprise, "overview")])


def _intent_text(intent: dict) -> str:
    return join_texts([text_of(intent, "description"), "、".join(as_list(intent.get("keywords")))])


def _intent_id(enterprise: dict, intent_index: int | None) -> str | None:
    if intent_index is None:
        return None
    value = intents_of(enterprise)[intent_index].get("id")
    return None if value is None else str(value)


def _partner_region_rule(project: dict) -> int:
    inside = text_of(project, "partners_in_province")
    outside = text_of(project, "partners_out_of_province")
    if inside and not outside:
        return 1
    if outside and not inside:
        return 2
    return 0


def _names_enterprise(project: dict, enterprise: dict) -> bool:
    name = text_of(enterprise, "name")
    partners = text_of(project, "partners_in_province") + text_of(project, "partners_out_of_province")
    return bool(name) and len(name) >= 2 and name in partners


def _mask(values, vocabulary) -> int:
    mask = 0
    for value in as_list(values):
        if value in vocabulary:
            mask |= 1 << vocabulary.index(value)
    return mask


def _confine(category: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    if mask is None:
        return category
    confined = category * mask
    total = float(confined.sum())
    return confined / total if total > FIELD_MASS_FLOOR else category


def _sharpen(category: np.ndarray) -> np.ndarray:
    # A product line is one product: scale its guess so the top category counts as covered.
    peak = float(category.max()) if category.size else 0.0
    return category / peak if peak > 0 else category


def _prune(matrix: sp.csr_matrix, keep: int, normalise: bool = True) -> sp.csr_matrix:
    """Keep the `keep` largest entries of each row (optionally re-normalised)."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    counts = np.diff(matrix.indptr)
    if counts.size and counts.max() > keep:
        data = matrix.data.copy()
        for r in np.flatnonzero(counts > keep):
            a, b = matrix.indptr[r], matrix.indptr[r + 1]
            drop = np.argpartition(-data[a:b], keep - 1)[keep:]
            data[a + drop] = 0.0
        matrix = sp.csr_matrix((data, matrix.indices, matrix.indptr), shape=matrix.shape)
    matrix.eliminate_zeros()
    return l2_normalise(matrix) if normalise else matrix


def _text_similarity(projects: _Side, query: sp.csr_matrix, whole_side: bool) -> np.ndarray:
    """Cosines of every project row with a few query rows: a dense (projects x query rows) array.

    For the whole project side and few query rows (ranking projects for one enterprise) only
    the postings of the query's terms are read, not every project row: at 100k projects that
    is ~1/15 of the entries. The sums run over terms in ascending order in both ways (project
    rows keep sorted indices), so the result is bit for bit the row-wise product's.
    """
    if not whole_side or query.shape[0] > POSTINGS_MAX_QUERY_ROWS:
        return (projects.text @ query.T.tocsr()).toarray()
    if projects.postings is None:
        projects.postings = projects.text.T.tocsr()
    return _postings_product(projects.postings, query)


def _category_overlap(projects: _Side, query: sp.csr_matrix, whole_side: bool) -> np.ndarray:
    """Category-guess overlap of every project with a few query rows, like _text_similarity."""
    if not whole_side or query.shape[0] > POSTINGS_MAX_QUERY_ROWS:
        return (projects.category @ query.T.tocsr()).toarray()
    if projects.category_postings is None:
        projects.category_postings = projects.category.T.tocsr()
    return _postings_product(projects.category_postings, query)


def _postings_product(postings: sp.csr_matrix, query: sp.csr_matrix) -> np.ndarray:
    """(postings.T @ query.T) as a dense array, reading only the postings of the query's columns."""
    columns = np.unique(query.indices)
    if columns.size == 0:
        return np.zeros((postings.shape[1], query.shape[0]), dtype=np.result_type(postings.dtype, query.dtype))
    weights = np.ascontiguousarray(query[:, columns].toarray().T)
    return np.asarray(postings[columns].T @ weights)


# Category guesses of product texts, kept per process: a text's guess depends on the knowledge base alone,
# so a refresh guesses only texts it has not seen (a published project, a new product line), not the corpus.
# ~1 KB a text: 200k texts are ~200 MB, at which point the memory is cleared and filled again.
GUESSES_KEPT = 200_000
_guesses: dict[tuple[int, str, str], np.ndarray] = {}
_guessed_by: dict[int, KnowledgeBase] = {}  # keeps each knowledge base whose id keys guesses alive (ids stay unique)
_guesses_lock = threading.Lock()


def _unguessed(knowledge: KnowledgeBase, names: list[str], descriptions: list[str]) -> list[int]:
    """Positions of the texts whose guess this process does not hold yet (each distinct text once)."""
    key = id(knowledge)
    seen: set[tuple[str, str]] = set()
    missing = []
    for i, text in enumerate(zip(names, descriptions)):
        if (key, *text) not in _guesses and text not in seen:
            seen.add(text)
            missing.append(i)
    return missing


def _remember_guesses(knowledge: KnowledgeBase, names: list[str], descriptions: list[str],
                      guessed: np.ndarray) -> None:
    key = id(knowledge)
    with _guesses_lock:
        if len(_guesses) + len(names) > GUESSES_KEPT:
            _guesses.clear()
            _guessed_by.clear()
        _guessed_by[key] = knowledge
        for name, description, row in zip(names, descriptions, guessed):
            _guesses[(key, name, description)] = row


def _guess_categories(knowledge: KnowledgeBase, names: list[str], descriptions: list[str]) -> np.ndarray:
    """Category guesses (rows over knowledge.categories, in the guesses' own dtype) of product texts."""
    if not names:
        return np.zeros((0, len(knowledge.categories)), dtype=np.float32)
    key = id(knowledge)
    missing = _unguessed(knowledge, names, descriptions)
    if missing:
        guesses = knowledge.guess([names[i] for i in missing], [descriptions[i] for i in missing])
        _remember_guesses(knowledge, [names[i] for i in missing], [descriptions[i] for i in missing],
                          np.stack([guess.category for guess in guesses]))
    return np.stack([_guesses[(key, name, description)] for name, description in zip(names, descriptions)])


class _TermSets:
    """One set of words per row, stored as ids into one word list: ~12 MB for 100k projects."""

    def __init__(self, sets: Iterable[Iterable[str]], remember: int = 64):
        self._remembered: dict[int, frozenset[str]] = {}
        self._remember = remember
        vocabulary: dict[str, int] = {}
        ids: list[int] = []
        indptr = [0]
        for terms in sets:
            ids.extend(vocabulary.setdefault(term, len(vocabulary)) for term in terms)
            indptr.append(len(ids))
        self.words = list(vocabulary)
        self.ids = np.array(ids, dtype=np.int32)
        self.indptr = np.array(indptr, dtype=np.int64)

    def get(self, row: int) -> frozenset[str]:
        """The words of one row (the last `remember` rows asked for are kept as sets)."""
        terms = self._remembered.get(row)
        if terms is None:
            terms = frozenset(map(self.words.__getitem__, self.ids[self.indptr[row]:self.indptr[row + 1]].tolist()))
            if len(self._remembered) >= self._remember:
                self._remembered.clear()
            self._remembered[row] = terms
        return terms


def _dense_row(matrix: sp.csr_matrix, row: int) -> np.ndarray:
    """One row of a CSR matrix as a dense vector, without building a one-row sparse matrix."""
    dense = np.zeros(matrix.shape[1], dtype=matrix.dtype)
    a, b = matrix.indptr[row], matrix.indptr[row + 1]
    dense[matrix.indices[a:b]] = matrix.data[a:b]
    return dense


def _take(side: _Side, rows: np.ndarray) -> _Side:
    return _Side(
        text=side.text[rows], category=side.category[rows], first_level=side.first_level[rows],
        device_class=side.device_class[rows], stage=side.stage[rows], province=side.province[rows],
        budget=side.budget[rows], cooperation=side.cooperation[rows], region_rule=side.region_rule[rows],
    )


def _single_enterprise_index(index: MatchIndex, enterprise: dict) -> MatchIndex:
    """A view of the index where only `enterprise` is on the enterprise side (not yet indexed)."""
    view = MatchIndex(index.knowledge)
    view.encoder = index.encoder
    view._provinces = index._provinces
    view._modes = index._modes
    view.projects = index.projects
    view.enterprises = [enterprise]
    view._encode_enterprises()
    view.project_side = index.project_side
    view.project_row = index.project_row
    view.enterprise_row = {str(enterprise.get("id")): 0}
    return view
