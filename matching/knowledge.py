"""NMPA knowledge base: the classification catalog and the 2018–2020 determinations as a category model.

The shipped data lives in matching/data/nmpa (CC BY 4.0, © RASAAS, content published by NMPA;
see SOURCE.md there). Only 2018–2020 determinations are knowledge: later years are benchmark
material and must never be added here.
"""
from __future__ import annotations

import json
import re
import threading
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .text import TextEncoder, TokenCounts, TokenTfidf, char_ngrams, l2_normalise, normalise, top_k

NMPA_DIR = Path(__file__).resolve().parent / "data" / "nmpa"
IVD_REAGENT_CODE = "6840"

# Decided class as written in the determinations → class label of the exchange format.
CLASS_LABELS = {
    "一类": "I",
    "二类": "II",
    "三类": "III",
    "药械组合": "combination",
    "不作为": "not_device",
    "不单独作为": "not_separately",
}
CLASS_ORDER = ("I", "II", "III", "combination", "not_device", "not_separately")
CLASS_NAMES_ZH = {
    "I": "Ⅰ类", "II": "Ⅱ类", "III": "Ⅲ类", "combination": "药械组合",
    "not_device": "不作为医疗器械管理", "not_separately": "不单独作为医疗器械管理",
    "undetermined": "待确定",
}
IVD_FIELD_NAMES = ("体外诊断试剂", "体外诊断")

# Blend of the linear model and neighbour votes; the linear model generalises better, the
# neighbours add evidence from near-identical past products.
LINEAR_WEIGHT = 0.7
NEIGHBOUR_WEIGHT = 0.3
NEIGHBOURS = 10
SOFTMAX_TEMPERATURE = 0.1
PRODUCT_NAME_WEIGHT = 0.5
GUESS_BATCH = 1000
LINEAR_C = 1.0
INSTRUMENT_IVD_FACTOR = 0.05
NAME_VIEW_WEIGHT = 0.5
NAME_VIEW_MIN_DF = 2
CLASS_STACK_FOLDS = 5
CLASS_VIEWS = 4
CLASS_RECENCY_DECAY = 0.5
NB_SVM_C = 0.1
SPECIALTY_OTHER_FACTOR = 1e-6


def load_catalog() -> dict:
    """Return the NMPA classification catalog (l1_categories and third-level items) as shipped."""
    return json.loads(_read_text(NMPA_DIR / "classification_catalog.json"))


def load_determinations() -> list[dict]:
    """Return the 2018–2020 NMPA classification determinations as a list of dicts."""
    text = _read_text(NMPA_DIR / "determinations_2018_2020.jsonl")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def first_level(code: str) -> str:
    """First-level category of a code: NN of NN-NN, or 6840 for IVD reagents."""
    return code if code == IVD_REAGENT_CODE else code[:2]


@dataclass
class CategoryGuess:
    """Category and class probabilities of one text, with its nearest past determinations."""

    category: np.ndarray  # over KnowledgeBase.categories (NN-NN and 6840)
    device_class: np.ndarray  # over CLASS_ORDER
    neighbours: list[tuple[int, float]] = field(default_factory=list)


class KnowledgeBase:
    """Category and management-class model fitted on the catalog and past determinations."""

    def __init__(self, catalog: dict, determinations: list[dict]):
        self.catalog = catalog
        self.determinations = [d for d in determinations if d.get("class_label") in CLASS_LABELS]
        self.l1_names = {c["code"]: c["name"] for c in catalog["l1_categories"]}
        self.l1_names[IVD_REAGENT_CODE] = "体外诊断试剂"
        items_by_l2: dict[str, list[str]] = defaultdict(list)
        for item in catalog["items"]:
            items_by_l2[item["l2_code"]].append(item["name"])
        self.items_by_l2 = dict(items_by_l2)

        coded = [d for d in self.determinations if d.get("code")]
        self.categories: list[str] = sorted(
            {d["code"] for d in coded} | {item["l2_code"] for item in catalog["items"]}
        )
        self.category_index = {c: i for i, c in enumerate(self.categories)}
        self.first_levels: list[str] = sorted({first_level(c) for c in self.categories})
        # Catalog items named like a specialty but filed elsewhere (口腔X射线机 06, 眼贴 14): a
        # product named after one of them follows the catalog, not the specialty rule.
        self.specialty_exceptions = tuple(sorted(
            normalise(item["name"]) for item in catalog["items"]
            if specialty_chapter(item["name"]) not in (None, item["l1_code"])))
        first_index = {c: i for i, c in enumerate(self.first_levels)}
        # Per category, the index of its first level in self.first_levels.
        self.category_first_index = np.array([first_index[first_level(c)] for c in self.categories])
        self.category_to_first = sp.csr_matrix(
            (np.ones(len(self.categories), dtype=np.float32),
             (np.arange(len(self.categories)), self.category_first_index)),
            shape=(len(self.categories), len(self.first_levels)),
        )

        item_texts = [f"{item['name']}。{item.get('exemption_product_name', '')}" for item in catalog["items"]]
        names = [d["product_name"] for d in self.determinations]
        descriptions = [d["description"] for d in self.determinations]
        self.encoder = TextEncoder().fit([f"{n}。{d}" for n, d in zip(names, descriptions)] + item_texts)
        self.determination_vectors = self._product_vectors(names, descriptions)
        item_vectors = self.encoder.transform(item_texts)

        # Category model: determinations that carry a code, plus every catalog item as a
        # labelled one-line document, so that categories without past determinations exist.
        coded_rows = [i for i, d in enumerate(self.determinations) if d.get("code")]
        category_x = sp.vstack([self.determination_vectors[coded_rows], item_vectors]).tocsr()
        category_y = np.array(
            [self.category_index[self.determinations[i]["code"]] for i in coded_rows]
            + [self.category_index[item["l2_code"]] for item in catalog["items"]]
        )
        self.category_model = _fit_linear(category_x, category_y)
        # A second view of the same documents for the same labels: character 1–4-grams of the
        # product name as a block of its own next to description 1–3-grams; names carry the
        # category (…导管, …支架, …试剂盒) and this view keeps them from being drowned by text.
        view_names = [self.determinations[i]["product_name"] for i in coded_rows] + [i["name"] for i in catalog["items"]]
        view_descriptions = [self.determinations[i]["description"] for i in coded_rows] + [""] * len(catalog["items"])
        self.name_view = NameView().fit(names + [i["name"] for i in catalog["items"]], descriptions)
        self.name_view_model = _fit_linear(self.name_view.transform(view_names, view_descriptions), category_y)
        # A first-level model on the same documents: ~20 labels with far more examples each
        # than a second-level category, so it is surer of the first level; the second-level
        # guess is re-weighted by it (product rule).
        self.first_level_model = _fit_linear(category_x, self.category_first_index[category_y])
        self.first_to_category = self.category_to_first.T.toarray().astype(np.float64)
        self.category_rows_y = np.full(len(self.determinations), -1)
        for i in coded_rows:
            self.category_rows_y[i] = self.category_index[self.determinations[i]["code"]]

        class_y = np.array([CLASS_ORDER.index(CLASS_LABELS[d["class_label"]]) for d in self.determinations])
        self.class_vocabulary = TokenCounts(_grams_1_3, binary=True, min_df=2, dtype=np.float32).fit(
            _class_documents(names, descriptions))
        self.class_model = ClassModel().fit(
            ClassFeatures(self.determination_vectors, self.name_view.transform(names, descriptions),
                          self.class_text(names, descriptions)),
            class_y, [d.get("year") for d in self.determinations])
        # Vocabularies as sorted arrays: memory-mapped and shared once saved, not private dicts in every worker.
        for vectorizer in (self.encoder.word_vectorizer, self.encoder.char_vectorizer, self.name_view.names,
                           self.name_view.descriptions, self.class_vocabulary):
            vectorizer.compact()

    def _product_vectors(self, names: list[str], descriptions: list[str]) -> sp.csr_matrix:
        return l2_normalise(self.encoder.transform(names) * PRODUCT_NAME_WEIGHT + self.encoder.transform(descriptions))

    def guess(self, names: list[str], descriptions: list[str]) -> list[CategoryGuess]:
        """Guess NMPA category and management class for product texts."""
        guesses: list[CategoryGuess] = []
        # Batches bound the dense similarity block to the past determinations.
        for start in range(0, len(names), GUESS_BATCH):
            stop = start + GUESS_BATCH
            guesses.extend(self._guess_batch(names[start:stop], descriptions[start:stop]))
        return guesses

    def _guess_batch(self, names: list[str], descriptions: list[str]) -> list[CategoryGuess]:
        vectors = self._product_vectors(names, descriptions)
        category_linear = _softmax_scores(self.category_model, vectors, len(self.categories))
        view = self.name_view.transform(names, descriptions)
        category_linear = (1 - NAME_VIEW_WEIGHT) * category_linear + NAME_VIEW_WEIGHT * _softmax_scores(
            self.name_view_model, view, len(self.categories))
        first_linear = _softmax_scores(self.first_level_model, vectors, len(self.first_levels))
        first_weight = first_linear @ self.first_to_category
        similarity = (vectors @ self.determination_vectors.T).toarray()
        # One neighbour search per text serves the category votes, the class model and the evidence.
        nearest = _nearest(similarity)
        device_classes = self.class_model.predict(
            ClassFeatures(vectors, view, self.class_text(names, descriptions)), similarity, nearest)
        votes_category = _neighbour_votes(similarity, nearest, self.category_rows_y, len(self.categories))
        guesses = []
        for row, text in enumerate(names):
            category = LINEAR_WEIGHT * category_linear[row] + NEIGHBOUR_WEIGHT * _share(votes_category[row])
            category = _share(category)
            weight = first_weight[row]
            chapter = self.specialty_chapter(names[row])
            inside = self.category_first_index == self.first_levels.index(chapter) if chapter else None
            if inside is not None and category[inside].sum() > 0:
                # The catalog files a product of one clinical specialty under that specialty's
                # chapter, not under the technology it uses (an eye heat-therapy device is 16,
                # not 09 physiotherapy); the later determinations follow this more strictly
                # than 2018–2019 did, so the rule, not the models, decides the chapter (the other
                # chapters keep their order as alternatives).
                category = _share(np.where(inside, category, category * SPECIALTY_OTHER_FACTOR))
                weight = np.where(inside, weight, weight * SPECIALTY_OTHER_FACTOR)
            if is_never_reagent(names[row]):
                # Analysers and other equipment are catalogued under 22, never as 6840 reagents
                # (none of the 2018–2020 6840 products is named …仪/机/设备/系统), and so are
                # sample collectors (22-11 样本采集器具); in both models, or the first-level
                # one brings 6840 back.
                ivd = self.category_index[IVD_REAGENT_CODE]
                category[ivd] *= INSTRUMENT_IVD_FACTOR
                category = _share(category)
                weight = weight.copy()
                weight[ivd] *= INSTRUMENT_IVD_FACTOR
            elif is_ivd_reagent(names[row] + descriptions[row]):
                category = 0.5 * category
                category[self.category_index[IVD_REAGENT_CODE]] += 0.5
            combined = _share(category * weight)
            category = combined if combined.sum() > 0 else category
            device_class = device_classes[row]
            neighbours = [(int(j), float(similarity[row, j])) for j in nearest[row] if similarity[row, j] > 0]
            guesses.append(CategoryGuess(category.astype(np.float32), device_class, neighbours))
        return guesses

    def specialty_chapter(self, name: str) -> str | None:
        """specialty_chapter(name), unless the name contains a catalog item filed outside that chapter."""
        text = normalise(name)
        if any(exception in text for exception in self.specialty_exceptions):
            return None
        return specialty_chapter(name)

    def class_text(self, names: list[str], descriptions: list[str]) -> sp.csr_matrix:
        """Binary character 1–3-grams of name and description, the class model's third view."""
        return self.class_vocabulary.transform(_class_documents(names, descriptions)).tocsr()

    def first_level_vector(self, category: np.ndarray) -> np.ndarray:
        """Sum category probabilities up to first-level categories."""
        return np.asarray(self.category_to_first.T @ category).ravel()

    def category_label(self, code: str) -> str:
        """Chinese label of a category code, e.g. '02-13 无源手术器械（吻合器（带钉）、可吸收缝合线等）'."""
        if code == IVD_REAGENT_CODE:
            return "6840 体外诊断试剂"
        items = self.items_by_l2.get(code, [])
        l1 = self.l1_names.get(first_level(code), "")
        if items:
            examples = "、".join(items[:2])
            return f"{code} {l1}（{examples}{'等' if len(items) > 2 else ''}）"
        return f"{code} {l1}".strip()

    def first_level_for_field(self, field_text: str | None) -> set[str]:
        """First-level codes named in an enterprise's declared field (NMPA first-level names)."""
        text = normalise(field_text)
        if not text:
            return set()
        codes = {code for code, name in self.l1_names.items() if normalise(name) in text}
        if any(name in text for name in IVD_FIELD_NAMES):
            codes.add(IVD_REAGENT_CODE)
        return codes


    def first_level_mask_for_field(self, field_text: str | None) -> np.ndarray:
        """True for the first levels (in self.first_levels order) a declared field or intent text names."""
        codes = self.first_level_for_field(field_text)
        return np.array([code in codes for code in self.first_levels], dtype=bool)

    def category_mask_for_field(self, field_text: str | None) -> np.ndarray | None:
        """1 for categories under the first levels a declared field names, None if it names none."""
        codes = self.first_level_for_field(field_text)
        if not codes:
            return None
        return np.array([first_level(c) in codes for c in self.categories], dtype=np.float32)


def _grams_1_3(text: str) -> list[str]:
    return char_ngrams(text, 1, 3)


def _grams_1_4(text: str) -> list[str]:
    return char_ngrams(text, 1, 4)


class NameView:
    """Character TF-IDF with the product name (1–4-grams) and description (1–3-grams) as separate blocks.

    The vectorisers are scikit-learn's TfidfVectorizer(analyzer="char", preprocessor=normalise) in numpy
    (matching/text.py; tests/matching/test_serving.py compares them): a loaded knowledge base
    classifies without importing scikit-learn.
    """

    def __init__(self):
        self.names = TokenTfidf(_grams_1_4, sublinear_tf=True, min_df=NAME_VIEW_MIN_DF, dtype=np.float32)
        self.descriptions = TokenTfidf(_grams_1_3, sublinear_tf=True, max_df=0.5, min_df=NAME_VIEW_MIN_DF,
                                       dtype=np.float32)

    def fit(self, names: list[str], descriptions: list[str]) -> "NameView":
        self.names.fit(names)
        self.descriptions.fit([d for d in descriptions if d] or ["空白"])
        return self

    def transform(self, names: list[str], descriptions: list[str]) -> sp.csr_matrix:
        return l2_normalise(sp.hstack([self.names.transform(names), self.descriptions.transform(descriptions)],
                                      format="csr"))


def _class_documents(names: list[str], descriptions: list[str]) -> list[str]:
    return [f"{name}。{description}" for name, description in zip(names, descriptions)]


@dataclass
class ClassFeatures:
    """One batch of product texts in the class model's three feature spaces (same rows in each)."""

    main: sp.csr_matrix  # the knowledge base's word + character TF-IDF
    name: sp.csr_matrix  # NameView: product-name block next to description block
    binary: sp.csr_matrix  # binary character 1–3-grams, for the NB-SVM view

    def take(self, rows: np.ndarray) -> "ClassFeatures":
        return ClassFeatures(self.main[rows], self.name[rows], self.binary[rows])


class ClassModel:
    """Management class from four views of a product text, blended by a model of their out-of-fold scores.

    The views err differently: two linear SVMs (main features, name view), an NB-SVM (binary
    character n-grams scaled by each class's log-count ratio, strong on short texts) and the
    votes of the nearest past determinations. A logistic regression learns how far to trust
    each view per class from scores the views gave to determinations they were not fitted on
    (stacking). That blend is fitted with recent years weighted up (halved per year back):
    the share of each class drifts from year to year (一类 38% of 2018, 17% of 2020), and the
    latest practice is the best guide to the next. Measured on 2020 held out from 2018–2019
    and on the 2021 dev set alike before it was kept (bench/README.md).
    """

    def fit(self, features: ClassFeatures, y: np.ndarray, years: list[int | None]) -> "ClassModel":
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold

        self.views = _ClassViews().fit(features, y)
        # Each fold needs every label that occurs: no more folds than the rarest label has rows.
        folds = min(CLASS_STACK_FOLDS, int(np.unique(y, return_counts=True)[1].min())) if len(y) else 0
        known = [year for year in years if year]
        latest = max(known, default=0)
        weights = np.array([CLASS_RECENCY_DECAY ** (latest - (year or latest)) for year in years])
        self.blend = None
        if folds >= 2 and len(np.unique(y)) >= 2:
            out_of_fold = np.zeros((len(y), CLASS_VIEWS * len(CLASS_ORDER)), dtype=np.float64)
            splits = StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
            for train, test in splits:
                fold_views = _ClassViews().fit(features.take(train), y[train])
                similarity = (features.main[test] @ features.main[train].T).toarray()
                out_of_fold[test] = fold_views.scores(features.take(test), similarity, _nearest(similarity))
            blend = LogisticRegression(max_iter=3000).fit(out_of_fold, y, sample_weight=weights)
            self.blend = SoftmaxScores(blend)
        return self

    def predict(self, features: ClassFeatures, similarity: np.ndarray, nearest: list[np.ndarray]) -> np.ndarray:
        """Class probabilities over CLASS_ORDER; similarity = rows × fitted determinations, nearest = _nearest(similarity)."""
        scores = self.views.scores(features, similarity, nearest)
        probabilities = np.zeros((scores.shape[0], len(CLASS_ORDER)))
        if self.blend is None:  # too few determinations to stack: the views' plain average
            for v in range(CLASS_VIEWS):
                probabilities += _softmax(scores[:, v * len(CLASS_ORDER):(v + 1) * len(CLASS_ORDER)])
            return probabilities / CLASS_VIEWS
        probabilities[:, self.blend.classes_] = self.blend.predict_proba(scores)
        return probabilities


class _ClassViews:
    """The four class views fitted on one set of determinations."""

    def fit(self, features: ClassFeatures, y: np.ndarray) -> "_ClassViews":
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.svm import LinearSVC

        self.y = y
        self.main = _fit_linear(features.main, y)
        self.name = _fit_linear(features.name, y)
        # NB-SVM (Wang & Manning 2012): one binary SVM per class on features scaled by the
        # log-count ratio of that class against the rest.
        self.ratios, self.nb_models = {}, {}
        for label in np.unique(y):
            inside = y == label
            p = np.asarray(features.binary[inside].sum(axis=0)).ravel() + 1.0
            q = np.asarray(features.binary[~inside].sum(axis=0)).ravel() + 1.0
            ratio = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
            self.ratios[label] = ratio
            if (~inside).any():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    self.nb_models[label] = LinearScores(LinearSVC(C=NB_SVM_C, max_iter=2000, random_state=0).fit(
                        features.binary.multiply(ratio).tocsr(), inside.astype(int)))
        return self

    def scores(self, features: ClassFeatures, similarity: np.ndarray, nearest: list[np.ndarray]) -> np.ndarray:
        """Rows × (4 views × classes): two SVM margins, NB-SVM margins, neighbour vote shares."""
        n, k = features.main.shape[0], len(CLASS_ORDER)
        main = _margins(self.main, features.main, k)
        name = _margins(self.name, features.name, k)
        nb = np.full((n, k), -1.0)
        for label, model in self.nb_models.items():
            nb[:, label] = model.decision_function(features.binary.multiply(self.ratios[label]).tocsr())
        votes = _neighbour_votes(similarity, nearest, self.y, k)
        votes /= np.maximum(votes.sum(axis=1, keepdims=True), 1e-9)
        return np.hstack([main, name, nb, votes])


def _nearest(similarity: np.ndarray) -> list[np.ndarray]:
    """Per row, the NEIGHBOURS most similar fitted determinations, best first."""
    return [top_k(row, NEIGHBOURS) for row in similarity]


def _neighbour_votes(similarity: np.ndarray, nearest: list[np.ndarray], labels: np.ndarray,
                     n_labels: int) -> np.ndarray:
    """Per row, the squared similarities of its nearest determinations summed by label (label -1: no vote)."""
    votes = np.zeros((len(nearest), n_labels))
    for row, rows in enumerate(nearest):
        for j in rows:
            if labels[j] >= 0:
                votes[row, labels[j]] += similarity[row, j] ** 2
    return votes


def _margins(model: "LinearScores", x: sp.csr_matrix, n_labels: int, missing: float = -1.0) -> np.ndarray:
    """Decision values over all n_labels; labels the model never saw get `missing`."""
    scores = model.decision_function(x)
    if scores.ndim == 1:  # a two-label model returns one column
        scores = np.column_stack([-scores, scores])
    margins = np.full((x.shape[0], n_labels), missing, dtype=np.float64)
    margins[:, model.classes_] = scores
    return margins


def _softmax(scores: np.ndarray) -> np.ndarray:
    weights = np.exp((scores - scores.max(axis=1, keepdims=True)) / SOFTMAX_TEMPERATURE)
    return weights / weights.sum(axis=1, keepdims=True)


_INSTRUMENT_NAME = re.compile(r"(仪|机|设备|系统|装置|工作站)(（[^（）]*）)?$")


def is_instrument(name: str) -> bool:
    """Whether a product name names equipment (…仪, …机, …设备, …系统), never an IVD reagent."""
    return bool(_INSTRUMENT_NAME.search(normalise(name).strip().replace("(", "（").replace(")", "）")))


_SAMPLE_COLLECTOR_NAME = re.compile("(采集|采样|保存|收集)(器|管|卡|瓶|杯|拭子)")
# Chapters 16, 17 and 20 of the catalog are clinical specialties (eye, dental, traditional Chinese
# medicine) rather than technologies; these name cues say a product belongs to one. TCM comes
# first: an acupoint eye device (眼部灸疗仪) is TCM. Chapters 18 and 19 (obstetrics, rehabilitation)
# were tried too and not kept (bench/README.md): their cues are shared with other chapters.
_SPECIALTY_CUES = (
    ("20", re.compile("穴位|中医|经络|舌面|舌诊|脉诊|灸|刮痧|拔罐")),
    ("16", re.compile("眼|视力|近视|弱视|角膜|视网膜|晶状体|泪|睑|巩膜|玻璃体|斜视")),
    ("17", re.compile("牙|口腔|齿|根管|正畸")),
)
# Software is chapter 21 and reagents 6840 whatever specialty they serve.
_NOT_SPECIALTY_NAME = re.compile("软件|试剂|试纸")


def is_never_reagent(name: str) -> bool:
    """Whether a product name names equipment or a sample collector, neither ever a 6840 reagent."""
    return is_instrument(name) or bool(_SAMPLE_COLLECTOR_NAME.search(normalise(name)))


def specialty_chapter(name: str) -> str | None:
    """The specialty chapter (16 eye, 17 dental, 20 TCM) a product name points to, or None."""
    text = normalise(name).replace("非眼科", "")
    if _NOT_SPECIALTY_NAME.search(text):
        return None
    return next((chapter for chapter, cue in _SPECIALTY_CUES if cue.search(text)), None)


def is_ivd_reagent(text: str) -> bool:
    """Whether a product text describes an in-vitro diagnostic reagent (catalog 6840)."""
    text = normalise(text)
    return "体外诊断试剂" in text or ("试剂盒" in text and ("检测" in text or "测定" in text))


class LinearScores:
    """A fitted linear classifier reduced to its arrays: scikit-learn's decision_function, numpy only.

    Fitting needs scikit-learn; a loaded knowledge base does not (its arrays are memory-mapped and the
    scikit-learn modules would cost a web worker ~100 MB).
    """

    def __init__(self, model):
        self.coef_, self.intercept_, self.classes_ = model.coef_, model.intercept_, model.classes_

    def decision_function(self, x) -> np.ndarray:
        scores = x @ self.coef_.T
        scores = (scores.toarray() if hasattr(scores, "toarray") else np.asarray(scores)) + self.intercept_
        return scores.reshape(-1) if scores.ndim > 1 and scores.shape[1] == 1 else scores


class SoftmaxScores(LinearScores):
    """A fitted multinomial logistic regression reduced to its arrays: its predict_proba, numpy only."""

    def predict_proba(self, x) -> np.ndarray:
        scores = self.decision_function(x)
        if scores.ndim == 1:  # two classes: scikit-learn's logistic of the one margin
            from scipy.special import expit

            positive = expit(scores)
            return np.vstack([1 - positive, positive]).T
        scores -= scores.max(axis=1).reshape((-1, 1))
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1).reshape((-1, 1))
        return scores


def _fit_linear(x: sp.csr_matrix, y: np.ndarray) -> LinearScores:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    with warnings.catch_warnings():
        # Scores only feed a softmax ranking; the last digits of convergence change nothing.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LinearSVC(C=LINEAR_C, max_iter=2000, random_state=0).fit(x, y)
    # Dense (labels × features) weights: single precision halves the memory, and the scores
    # only feed a softmax. Stored by feature (Fortran order), so a text's scores read only the
    # weights of its own features: `X @ coef_.T` is then a product with a C-contiguous matrix,
    # where the row-major layout made every call copy all the weights (and, memory-mapped from the
    # cache, touch every page of them).
    model.coef_ = np.asfortranarray(model.coef_.astype(np.float32))
    model.intercept_ = model.intercept_.astype(np.float32)
    return LinearScores(model)


def _softmax_scores(model: LinearScores, vectors: sp.csr_matrix, n_labels: int) -> np.ndarray:
    return _softmax(_margins(model, vectors, n_labels, missing=-np.inf))


def _share(votes: np.ndarray) -> np.ndarray:
    total = votes.sum()
    return votes / total if total > 0 else votes


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _cached_knowledge_base() -> KnowledgeBase:
    from .cache import cached  # on disk, keyed by the source of this file and text.py and the data

    return cached("knowledge", lambda: KnowledgeBase(load_catalog(), load_determinations()))


def knowledge_base() -> KnowledgeBase:
    """The process-wide knowledge base, fitted on first use (a few seconds) and then cached."""
    with _lock:
        return _cached_knowledge_base()


def saved_knowledge_base() -> KnowledgeBase | None:
    """The knowledge base if this process has it or it is saved on disk (then loaded memory-mapped); never fits it.

    None when it would have to be fitted: that takes minutes and ~1 GB, which a web worker must not spend.
    """
    from .cache import is_saved

    with _lock:
        if _cached_knowledge_base.cache_info().currsize or is_saved("knowledge"):
            return _cached_knowledge_base()
    return None
