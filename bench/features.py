#!/usr/bin/env python3
"""Held-out quality of one propaganda model (run by bench/features.sh).

    bench/features.py HELDOUT.tsv SCORES.jsonl

HELDOUT.tsv is the default recipe's heldout.tsv (columns id, text, labels,
lang, group, family); SCORES.jsonl is `kuzat-classify --all-scores` over it.
A row is positive when its labels name propaganda or any marker. Prints one
tab-separated line: PR-AUC (average precision) over all rows, then per
language (uz-Latn uz-Cyrl tg ky ru en: that language's positives against
its benign rows), then ROC-AUC over all rows; then, for the Arabic
positives (which have no Arabic benign rows to be ranked against), their
ROC-AUC against every benign row and their recall at the score that flags
1% of the benign rows; then that recall for every positive; then the
share of scripture rows (Quran translations) over that same score.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets",
                                "recipes"))
from evaluate import auc, read  # noqa: E402  (the model card's own arithmetic)

LANGS = ["uz-Latn", "uz-Cyrl", "tg", "ky", "ru", "en"]


def average_precision(pairs):
    """Average precision of (score, positive) pairs, ties broken against us."""
    pairs = sorted(pairs, key=lambda p: (-p[0], p[1]))
    npos = sum(1 for _, y in pairs if y)
    if npos == 0:
        return float("nan")
    tp, ap = 0, 0.0
    for k, (_, y) in enumerate(pairs, 1):
        if y:
            tp += 1
            ap += tp / k
    return ap / npos


def roc_auc(pairs):
    return auc([s for s, y in pairs if y], [s for s, y in pairs if not y])


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = read(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        scores = [json.loads(line) for line in f]
    if len(rows) != len(scores):
        sys.exit("features.py: %d rows but %d scores" % (len(rows), len(scores)))
    pairs = []
    for row, sc in zip(rows, scores):
        labels = [l for l in row["labels"].replace(",", "|").split("|") if l]
        pos = any(l != "reporting" for l in labels)
        pairs.append((row["lang"], sc["markers"]["propaganda"], pos))
    cells = [average_precision([(s, y) for _, s, y in pairs])]
    for lang in LANGS:
        cells.append(average_precision([(s, y) for l, s, y in pairs if l == lang]))
    cells.append(roc_auc([(s, y) for _, s, y in pairs]))
    benign = sorted(s for _, s, y in pairs if not y)
    cut = benign[min(len(benign) - 1, int(len(benign) * 0.99))]
    arabic = [s for l, s, y in pairs if l == "ar" and y]
    cells.append(roc_auc([(s, True) for s in arabic] + [(s, False) for s in benign]))
    positives = [s for _, s, y in pairs if y]
    scripture = [sc["markers"]["propaganda"] for row, sc in zip(rows, scores)
                 if row["family"] == "scripture"]
    for group in (arabic, positives, scripture):  # a share over the cut; NaN for none
        cells.append(sum(s > cut for s in group) / len(group) if group else float("nan"))
    print("\t".join("%.4f" % c for c in cells))


if __name__ == "__main__":
    main()
