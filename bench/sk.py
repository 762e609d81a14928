#!/usr/bin/env python3
"""scikit-learn peer for make bench: HashingVectorizer + LinearSVC.

    bench/sk.py train TRAIN.tsv MODEL.pkl
    bench/sk.py score MODEL.pkl FILE.tsv > scores      (one decision value a row)
    bench/sk.py score MODEL.pkl - < lines.txt > scores  (one document a line)

Features: word 1-2-grams and char_wb 2-5-grams, each hashed into 2^20
features (HashingVectorizer's defaults otherwise: lower-cased, l2-normalised
per vectorizer, alternate signs), concatenated; LinearSVC with its defaults
(C=1, squared hinge). A row is positive when its labels column names
propaganda. Scores are decision values (> 0: flagged).
"""
import pickle
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.svm import LinearSVC

VECS = [HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=1 << 20),
        HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=1 << 20)]


def features(texts):
    return sp.hstack([v.transform(texts) for v in VECS]).tocsr()


def read_tsv(path):
    with open(path, encoding="utf-8", newline="") as f:
        header = f.readline().rstrip("\n").split("\t")
        ti, li = header.index("text"), header.index("labels")
        rows = [line.rstrip("\n").split("\t") for line in f]
    return [r[ti] for r in rows], np.array([1 if "propaganda" in r[li].split(",") else 0 for r in rows])


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("train", "score"):
        sys.exit(__doc__.split("\n\n")[1])
    if sys.argv[1] == "train":
        texts, y = read_tsv(sys.argv[2])
        clf = LinearSVC(random_state=0).fit(features(texts), y)
        with open(sys.argv[3], "wb") as f:
            pickle.dump(clf, f)
        return
    with open(sys.argv[2], "rb") as f:
        clf = pickle.load(f)
    out = sys.stdout
    if sys.argv[3] != "-":
        texts, _ = read_tsv(sys.argv[3])
        for s in clf.decision_function(features(texts)):
            out.write("%.6f\n" % s)
        return
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="replace", newline="\n")
    batch = []
    for line in stdin:
        batch.append(line.rstrip("\n"))
        if len(batch) == 20000:
            out.write("".join("%.6f\n" % s for s in clf.decision_function(features(batch))))
            batch = []
    if batch:
        out.write("".join("%.6f\n" % s for s in clf.decision_function(features(batch))))


if __name__ == "__main__":
    main()
