"""Chinese text features: jieba words and character n-grams, TF-IDF over weighted fields."""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, islice, repeat
from numbers import Integral

import numpy as np
import scipy.sparse as sp

_jieba_lock = threading.Lock()
_jieba = None
_token_cache: dict[str, tuple[str, ...]] = {}
_TOKEN_CACHE_LIMIT = 400_000
COUNT_BATCH = 500

# Words that occur in nearly every device description and say nothing about the field;
# TF-IDF down-weights them already, but they must never be offered as a "shared key term".
STOPWORDS = frozenset(
    """
    的 和 与 及 或 等 由 用于 使用 采用 通过 进行 可 可以 其 该 本 对 在 为 于 将 以 中 时 后 前 上 下 内 外
    组成 产品 一次性 一次性使用 使用者 无菌 非 无菌产品 提供 材料 制成 主要 包括 其中 以及 并 不 不用 用 作为
    医疗 器械 医疗器械 患者 人体 辅助 部位 相应 适用 适用范围 预期 用途 情况 相关 具有 一种 所述 根据 方法
    项目 研究 临床 需要 能够 实现 达到 目的 功能 作用 配合 配套 连接 组件 部件 附件 主机 系统 装置 设备
    公司 主要产品 企业 寻求 本公司 产品线 转化 成果 领域 合作
    """.split()
)

# Words too general to show as a shared key term (they pass the stopwords above because they
# help the ranking a little, but "共同关键词：质量、完成" tells a reader nothing).
GENERIC_TERMS = frozenset(
    """
    完成 现有 技术 方向 质量 提高 有效 开展 目前 新型 研发 进一步 问题 方面 要求 水平 方式 能力 工作
    市场 应用 发展 具备 基础 良好 优势 显著 广泛 较好 明显 更加 已经 基于 首次 国内 国外 国际 领先
    先进 相比 传统 现有技术 较高 降低 减少 增加 提升 改进 改善 优化 简单 方便 操作 安全 有限 存在
    需求 效果 效率 成本 价格 国产 进口 替代 填补 空白 行业 产业 推广 前景 专利 申请 授权 团队 单位
    """.split()
) | frozenset(
    # From evidence: key terms in 1–22% of the 1,975 device descriptions of the NMPA determinations and the
    # demo projects (bench/generic_terms.py lists them) that describe no device, field or technique.
    """
    信息 处理 产生 形成 特定 从而 过程 部分 结果 属于 含有 其他 同时 之间 来自 帮助 状态 是否 给出 不同
    通用 证明 有望 获得 或者 一定 一个 一方面 另一方面 多种 然后 判断 原理 正常 起到 造成 获取 记录 制作
    标准 一起 发生 选择 生成 及其 构成 包含 得到 形式 处于 条件 采购 导致 之后 以便 对于 集中 按照 日常
    分为 输入 自主 省内 制式 进入 直接 专用 声称 建议 保持 利用 分类 类别 分类目录 同类产品 一线 细分 用户
    人群 医疗机构 医院 医生 医师 医护人员 病人 管理 促进 发挥 无法 参考 区域 生产 制造 中心 主体 单元 报告
    平台 学习 人工 风险 数据 结构 时间 位置 环境 内部 部位 其它 以上 以下 多个 各种 方案 特点 目标 内容
    """.split()
) | frozenset(
    # Curated: the words of funding, programme and deal boilerplate (列入立项情况, 合作情况, intents).
    """
    基金 资助 立项 课题 计划 重点 专项 科技 科研 省级 国家级 市级 省外 国家 地方 政府 支持 承担 负责 开发
    设计 创新 自主研发 核心 关键 重要 一体化 新一代 拥有 阶段 样机 样品 意向 投资 资金 万元 获批 批准
    立项 资质 证书 注册 注册证 备案 审批 审评 申报 验收 结题 在研 省内外 全国 全省 我省 本省 地区 城市
    """.split()
)

SHARED_TERMS_PREFIX = "共同关键词："

_PUNCT = re.compile(r"[\s\u3000]+")
_HAS_WORD_CHAR = re.compile(r"[\w\u4e00-\u9fff]")
_SENTENCE_END = re.compile(r"[。；;！？!?\n]+")


def jieba_module():
    """Return the jieba module, loading its dictionary once per process with quiet logging."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                with warnings.catch_warnings():
                    # jieba's own source trips invalid-escape warnings on import; harmless.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    warnings.simplefilter("ignore", SyntaxWarning)
                    import jieba
                jieba.setLogLevel(logging.WARNING)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ResourceWarning)
                    jieba.initialize()
                _jieba = jieba
    return _jieba


def normalise(text: str | None) -> str:
    """Fold full-width forms and case so that Ｅ and e, （ and ( count as the same."""
    if not text:
        return ""
    text = str(text)
    # The check is ~100x cheaper than normalising, and text normalised before (TextEncoder
    # normalises once for its two analysers) passes it.
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def _normalised_once(text: str) -> str:
    """normalise(text) when normalising that again changes nothing (then analysers skip the work), else text."""
    folded = normalise(text)
    return folded if normalise(folded) == folded else text


def words(text: str | None) -> tuple[str, ...]:
    """Segment text into jieba words, sentence by sentence with a cache.

    Records are encoded field by field and again joined (for the category model and reasons);
    caching per sentence means each sentence is segmented once whichever way it is joined.
    """
    text = normalise(text)
    if not text:
        return ()
    tokens: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if sentence:
            tokens.extend(_sentence_words(sentence))
    return tuple(tokens)


def _sentence_words(sentence: str) -> tuple[str, ...]:
    cached = _token_cache.get(sentence)
    if cached is not None:
        return cached
    jieba = jieba_module()
    # HMM=False: new-word discovery doubles segmentation time, and the character n-grams
    # already cover words missing from the dictionary.
    tokens = tuple(
        w for w in (t.strip() for t in jieba.lcut(sentence, HMM=False)) if w and _HAS_WORD_CHAR.search(w)
    )
    if len(_token_cache) < _TOKEN_CACHE_LIMIT:
        _token_cache[sentence] = tokens
    return tokens


def key_terms(text: str | None) -> set[str]:
    """Words of text that may be cited as shared terms: not stopwords or generic words, not single characters, not numbers."""
    return {
        w for w in words(text)
        if len(w) >= 2 and w not in STOPWORDS and not _generic(w) and not w.replace(".", "").isdigit()
    }


def _generic(word: str) -> bool:
    # jieba keeps some pairs of generic words as one word (提高质量, 降低成本).
    return word in GENERIC_TERMS or any(
        word[:i] in GENERIC_TERMS and word[i:] in GENERIC_TERMS for i in range(2, len(word) - 1))


def _char_analyzer(text: str) -> list[str]:
    # 2- and 3-grams: Chinese device terms are mostly two to four characters long, and
    # single characters are too ambiguous to carry weight.
    # Order within a document does not matter to the vectoriser (it counts); two comprehensions
    # are faster than one loop.
    text = _PUNCT.sub(" ", normalise(text))
    grams: list[str] = []
    for chunk in text.split(" "):
        n = len(chunk)
        if n > 1:
            grams += [chunk[i:i + 2] for i in range(n - 1)]
            grams += [chunk[i:i + 3] for i in range(n - 2)]
    return grams


def _word_analyzer(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


class TokenTfidf:
    """TF-IDF over the tokens of one analyser: counts built here, weights by scikit-learn's TfidfTransformer.

    Gives the vocabulary, IDF and matrices of scikit-learn's TfidfVectorizer with the same
    options (tests/matching/test_speedups.py checks it) through public API only. The stock
    vectoriser looks every token up in a Python loop, which was most of the time spent
    encoding a corpus; here map() and numpy do the counting.
    """

    def __init__(self, analyzer: Callable[[str], list[str]], *, sublinear_tf: bool = False,
                 min_df: int | float = 1, max_df: int | float = 1.0, dtype=np.float64):
        self.analyzer = analyzer
        self.sublinear_tf = sublinear_tf
        self.min_df = min_df
        self.max_df = max_df
        self.dtype = dtype

    def fit(self, texts: Iterable[str]) -> "TokenTfidf":
        """Learn the vocabulary (terms within min_df..max_df, sorted) and IDF weights; ValueError when none is left."""
        counts = self._fit_vocabulary(texts)
        # scikit-learn fits the IDF weights; only the array is kept, so a process that loads a fitted
        # encoder (a web worker serving 参考分类) needs no scikit-learn to use it.
        from sklearn.feature_extraction.text import TfidfTransformer

        self.idf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(counts).idf_
        return self

    def _fit_vocabulary(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Learn vocabulary_ (terms within min_df..max_df, sorted as scikit-learn numbers them); the kept counts."""
        first_seen: dict[str, int] = {}
        counts = self._counts(texts, first_seen, grow=True)
        if not first_seen:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        n_documents = self.n_documents_ = counts.shape[0]
        # An int is a number of documents, a float a share of them (as scikit-learn reads them).
        high = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n_documents
        low = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_documents
        if high < low:
            raise ValueError("max_df corresponds to < documents than min_df")
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        kept = (document_frequency <= high) & (document_frequency >= low)
        terms = [term for term, column in first_seen.items() if kept[column]]
        # Dropped for being in more than max_df of the documents (the reasons never cite them either).
        self.too_common_ = frozenset(term for term, column in first_seen.items() if document_frequency[column] > high)
        if not terms:
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        # Columns in sorted term order, as scikit-learn numbers them; the dictionary itself stays in
        # first-seen order, frequent tokens first, which keeps its lookups in cache (~10% faster
        # counting than a dictionary built in sorted order).
        column_of = {term: column for column, term in enumerate(sorted(terms))}
        self.vocabulary_ = {term: column_of[term] for term in terms}
        # The kept count columns in sorted term order (scipy's column indexing, as scikit-learn does).
        order = np.empty(len(terms), dtype=np.int64)
        order[np.fromiter(self.vocabulary_.values(), dtype=np.int64, count=len(terms))] = np.flatnonzero(kept)
        return counts[:, order]

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Encode texts as L2-normalised TF-IDF rows over the fitted vocabulary (unknown tokens are ignored)."""
        return tfidf_rows(self._counts(texts, self.vocabulary_, grow=False), self.idf_, self.sublinear_tf)

    def compact(self) -> None:
        """Keep the fitted vocabulary as one sorted array (SortedTerms) instead of a dict: for a saved, shared model."""
        if isinstance(self.vocabulary_, dict) and not any("\x00" in term for term in self.vocabulary_):
            self.vocabulary_ = SortedTerms(self.vocabulary_)

    def _counts(self, texts: Iterable[str], vocabulary, grow: bool) -> sp.csr_matrix:
        """Token counts per text (CSR, sorted indices); with grow, new tokens join vocabulary in first-seen order."""
        blocks = []
        documents = iter(texts)
        while True:
            # Blocks of documents bound the memory of the flat token list.
            batch = [self.analyzer(text) for text in islice(documents, COUNT_BATCH)]
            if not batch:
                break
            tokens = list(chain.from_iterable(batch))
            if grow:
                for token in dict.fromkeys(tokens):
                    if token not in vocabulary:
                        vocabulary[token] = len(vocabulary)
            if isinstance(vocabulary, SortedTerms):
                ids = vocabulary.columns(tokens)
            else:
                ids = np.fromiter(map(vocabulary.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
            rows = np.repeat(np.arange(len(batch), dtype=np.int64),
                             np.fromiter(map(len, batch), dtype=np.int64, count=len(batch)))
            known = ids >= 0
            blocks.append((len(batch), rows[known], ids[known]))
        n_columns = len(vocabulary)
        parts = [sp.csr_matrix((np.ones(len(ids), dtype=self.dtype), (rows, ids)), shape=(n, n_columns),
                               dtype=self.dtype) for n, rows, ids in blocks]
        matrix = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, n_columns), dtype=self.dtype)
        matrix.sum_duplicates()  # also sorts each row's indices
        return matrix


class SortedTerms:
    """A fitted vocabulary as one sorted array of its terms, a term's column being its position.

    Saved with the knowledge base, the array is memory-mapped and shared by every worker, where a dict
    costs each process ~130 bytes of Python objects per term (~35 MB for the knowledge base's 250,000).
    A batch of tokens is looked up by binary search; from a batch of more than DICT_AT tokens on (a
    corpus being encoded, in the job worker) the dict is built once and used instead.
    """

    DICT_AT = 100_000

    def __init__(self, vocabulary: dict[str, int]):
        # Columns are numbered in sorted term order (as scikit-learn numbers them), so position = column.
        self.terms = np.array(sorted(vocabulary, key=vocabulary.__getitem__), dtype=str)
        assert all(vocabulary[term] == column for column, term in enumerate(self.terms.tolist()))
        self._dict: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.terms)

    def __getstate__(self):
        return {"terms": self.terms, "_dict": None}

    def as_dict(self) -> dict[str, int]:
        if self._dict is None:
            self._dict = {term: column for column, term in enumerate(self.terms.tolist())}
        return self._dict

    def get(self, term: str, default=None):
        column = int(self.columns([term])[0])
        return column if column >= 0 else default

    def columns(self, tokens: list[str]) -> np.ndarray:
        """Each token's column, -1 for a token not in the vocabulary."""
        if self._dict is not None or len(tokens) > self.DICT_AT:
            return np.fromiter(map(self.as_dict().get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
        width = self.terms.dtype.itemsize // 4
        # A fixed-width array would cut a longer token (and drop a trailing NUL): such tokens are never terms.
        unfit = np.fromiter((len(t) > width or "\x00" in t for t in tokens), dtype=bool, count=len(tokens))
        query = np.array([t if len(t) <= width else "" for t in tokens], dtype=self.terms.dtype)
        if not len(self.terms):
            return np.full(len(tokens), -1, dtype=np.int64)
        found = np.minimum(np.searchsorted(self.terms, query), len(self.terms) - 1)
        return np.where((self.terms[found] == query) & ~unfit, found, -1).astype(np.int64)


def tfidf_rows(counts: sp.csr_matrix, idf: np.ndarray | None, sublinear_tf: bool) -> sp.csr_matrix:
    """scikit-learn's TfidfTransformer.transform in numpy, in place: (1 + log) tf, times IDF, rows to unit length.

    The same arithmetic in the same precision (tests/matching/test_speedups.py compares the bits):
    float products, their sum per row in double, each value divided by the double norm.
    """
    data = counts.data
    if sublinear_tf:
        np.log(data, data)
        data += 1.0
    if idf is not None:
        data *= idf[counts.indices]
    return l2_rows_inplace(counts)


def l2_rows_inplace(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Scale each CSR row to unit L2 length in place, zero rows left alone (scikit-learn's normalize, norm="l2")."""
    n_rows = matrix.shape[0]
    rows = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(rows, weights=(matrix.data * matrix.data).astype(np.float64), minlength=n_rows))
    norms[norms == 0.0] = 1.0
    matrix.data[:] = matrix.data / norms[rows]
    return matrix


class TokenCounts(TokenTfidf):
    """Token counts over a vocabulary learnt as TokenTfidf learns it: scikit-learn's CountVectorizer, numpy only.

    binary=True gives 1 for every token present (CountVectorizer(binary=True)).
    """

    def __init__(self, analyzer: Callable[[str], list[str]], *, binary: bool = False, min_df: int | float = 1,
                 max_df: int | float = 1.0, dtype=np.float64):
        super().__init__(analyzer, min_df=min_df, max_df=max_df, dtype=dtype)
        self.binary = binary

    def fit(self, texts: Iterable[str]) -> "TokenCounts":
        self._fit_vocabulary(texts)
        return self

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        counts = self._counts(texts, self.vocabulary_, grow=False)
        if self.binary:
            counts.data.fill(1)
        return counts


_WHITE_SPACES = re.compile(r"\s\s+")


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's analyzer="char" with preprocessor=normalise: runs of white space as one, then low..high-grams."""
    text = _WHITE_SPACES.sub(" ", normalise(text))
    n = len(text)
    grams = list(text) if low == 1 else []
    for size in range(max(low, 2), min(high + 1, n + 1)):
        grams += [text[i:i + size] for i in range(n - size + 1)]
    return grams


class TextEncoder:
    """TF-IDF over jieba words and character 2–3-grams, stacked into one L2-normalised vector."""

    def __init__(self, word_weight: float = 0.5, char_weight: float = 0.5, min_df: int = 1,
                 max_df: float = 0.5):
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.word_vectorizer = TokenTfidf(_word_analyzer, sublinear_tf=True, min_df=min_df, max_df=max_df,
                                          dtype=np.float32)
        self.char_vectorizer = TokenTfidf(_char_analyzer, sublinear_tf=True, min_df=min_df, max_df=max_df,
                                          dtype=np.float32)

    def fit(self, texts: Sequence[str]) -> "TextEncoder":
        """Learn vocabularies and IDF weights from a corpus."""
        texts = [_normalised_once(t) for t in texts] or [""]
        try:
            self.word_vectorizer.fit(texts)
        except ValueError:  # empty vocabulary: a corpus of blank records
            self.word_vectorizer = TokenTfidf(_word_analyzer, dtype=np.float32).fit(["空"])
        try:
            self.char_vectorizer.fit(texts)
        except ValueError:
            self.char_vectorizer = TokenTfidf(_char_analyzer, dtype=np.float32).fit(["空白"])
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Encode texts as unit-length rows (blank texts stay zero rows)."""
        texts = [_normalised_once(t) for t in texts]
        if not texts:
            return sp.csr_matrix((0, self.dimension), dtype=np.float32)
        word_part = self.word_vectorizer.transform(texts) * self.word_weight
        char_part = self.char_vectorizer.transform(texts) * self.char_weight
        return l2_normalise(sp.hstack([word_part, char_part], format="csr"))

    def transform_fields(self, records: Sequence[dict[str, str]], weights: dict[str, float]) -> sp.csr_matrix:
        """Encode several text fields per record, weighting each field, as unit-length rows."""
        total = None
        for field, weight in weights.items():
            if weight == 0:
                continue
            part = self.transform([r.get(field, "") or "" for r in records]) * weight
            total = part if total is None else total + part
        if total is None:
            return sp.csr_matrix((len(records), self.dimension), dtype=np.float32)
        return l2_normalise(total.tocsr())

    @property
    def dimension(self) -> int:
        """Number of columns of encoded rows."""
        return len(self.word_vectorizer.vocabulary_) + len(self.char_vectorizer.vocabulary_)


def l2_normalise(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Scale each row to unit length, leaving zero rows as they are."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags((1.0 / norms).astype(np.float32)) @ matrix


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first, ties broken by index for determinism."""
    n = scores.shape[0]
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if k < n:
        candidates = np.argpartition(-scores, k - 1)[:k]
    else:
        candidates = np.arange(n)
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order]


def join_texts(parts: Iterable[str | None]) -> str:
    """Join non-empty text parts with a Chinese full stop."""
    return "。".join(p.strip() for p in parts if p and str(p).strip())
