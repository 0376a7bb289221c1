"""Evidence for matching.text.GENERIC_TERMS: the key terms with the highest document frequency.

A word that turns up in a large share of device descriptions (the NMPA determinations and the demo
projects) says nothing about why two parties fit; such words are candidates for the curated list of
words never cited as a shared key term. Run by hand: `python bench/generic_terms.py [share]`.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matching.text import GENERIC_TERMS, key_terms, words  # noqa: E402

PROJECT_FIELDS = ("name", "structure", "principle", "intended_use", "clinical_prospects", "market", "public_summary")


def documents() -> list[str]:
    """Device descriptions: NMPA classification determinations, then the demo projects."""
    texts = []
    with open(ROOT / "matching/data/nmpa/determinations_2018_2020.jsonl", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            texts.append(f"{record.get('product_name', '')}。{record.get('description', '')}")
    with open(ROOT / "app/demo/data/demo_projects.jsonl", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            texts.append("。".join(str(record.get(field) or "") for field in PROJECT_FIELDS))
    return texts


def main(share: float = 0.02) -> None:
    texts = documents()
    frequency = Counter()
    for text in texts:
        frequency.update({w for w in words(text) if len(w) >= 2})
    cited = set().union(*(key_terms(text) for text in texts))
    print(f"{len(texts)} documents; words in at least {share:.0%} of them that key_terms() may still cite:")
    for word, n in frequency.most_common():
        if n / len(texts) < share:
            break
        if word in cited and word not in GENERIC_TERMS:
            print(f"{word}\t{n}\t{n / len(texts):.1%}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.02)
