#!/usr/bin/env python3
"""The default model's held-out tables (run by `make model`).

    datasets/recipes/evaluate.py HELDOUT.tsv SCORES.jsonl FLAGS.jsonl

HELDOUT.tsv is the recipe's heldout.tsv (columns id, text, labels, lang,
group, family); SCORES.jsonl is `kuzat-classify --all-scores` over it and
FLAGS.jsonl the same without --all-scores (its "markers" are the flagged
ones, each at its stored threshold). Prints Markdown tables:

  1. false positives per benign family and language (every row without
     `propaganda`), at the stored threshold;
  2. recall per language: our held-out positives, the pro-ISIS tweets;
  3. per marker, precision and recall on the rows whose markers are known
     (shared rows labelled only `propaganda` are left out);
  4. ROC-AUC of the pro-ISIS tweets against the English benign rows, and of
     our positives against the benign rows of each language;
  5. operating points: false positives and recall at other thresholds
     (what `kuzat-classify --threshold T` would give).
"""
import csv
import json
import sys

LANGS = ["uz-Latn", "uz-Cyrl", "tg", "ky", "ru", "en"]
MARKERS = ["recruitment", "incitement", "threat", "glorification",
           "religious_justification", "fundraising", "instructional"]


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(r)
        return [dict(zip(header, row)) for row in r]


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def auc(pos, neg):
    """ROC-AUC by ranks (ties count one half)."""
    if not pos or not neg:
        return float("nan")
    allv = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg])
    rank_sum, i, n = 0.0, 0, len(allv)
    while i < n:
        j = i
        while j < n and allv[j][0] == allv[i][0]:
            j += 1
        r = (i + 1 + j) / 2.0
        rank_sum += r * sum(1 for k in range(i, j) if allv[k][1])
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2.0) / (len(pos) * len(neg))


def pct(k, n):
    return "-" if n == 0 else "%.1f%% (%d/%d)" % (100.0 * k / n, k, n)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    rows, scores, flags = read(sys.argv[1]), jsonl(sys.argv[2]), jsonl(sys.argv[3])
    if not (len(rows) == len(scores) == len(flags)):
        sys.exit("evaluate: %d rows, %d scores, %d flags" % (len(rows), len(scores), len(flags)))
    for r, s, f in zip(rows, scores, flags):
        if not (r["id"] == s["id"] == f["id"]):
            sys.exit("evaluate: rows out of order at %s" % r["id"])
        r["labels"] = set(l for l in r["labels"].split(",") if l)
        r["score"] = s["markers"]["propaganda"]
        r["scores"] = s["markers"]
        r["flagged"] = set(f["markers"])
        r["ours"] = r["id"].startswith("ks-")

    benign = [r for r in rows if "propaganda" not in r["labels"]]
    fams = sorted(set(r["family"] for r in benign))
    print("### False positives on benign held-out rows, by family and language\n")
    print("| family | " + " | ".join(LANGS) + " | all |")
    print("|---|" + "---:|" * (len(LANGS) + 1))
    for fam in fams:
        cells = []
        for lang in LANGS + [None]:
            rs = [r for r in benign if r["family"] == fam and (lang is None or r["lang"] == lang)]
            cells.append(pct(sum("propaganda" in r["flagged"] for r in rs), len(rs)))
        print("| %s | %s |" % (fam, " | ".join(cells)))
    cells = []
    for lang in LANGS + [None]:
        rs = [r for r in benign if lang is None or r["lang"] == lang]
        cells.append(pct(sum("propaganda" in r["flagged"] for r in rs), len(rs)))
    print("| **all benign** | %s |" % " | ".join(cells))

    print("\n### Recall on held-out positives, by language\n")
    print("| positives | " + " | ".join(LANGS) + " | ar | all |")
    print("|---|" + "---:|" * (len(LANGS) + 2))
    pos = [r for r in rows if "propaganda" in r["labels"]]
    for name, sel in (("ours (kuzat-set test.tsv)", lambda r: r["ours"]),
                      ("ours, short (titles, slogans)", lambda r: r["ours"] and "-short-" in r["group"]),
                      ("pro-ISIS tweets (isis-twitter-en)", lambda r: not r["ours"])):
        cells = []
        for lang in LANGS + ["ar", None]:
            rs = [r for r in pos if sel(r) and (lang is None or r["lang"] == lang)]
            cells.append(pct(sum("propaganda" in r["flagged"] for r in rs), len(rs)))
        print("| %s | %s |" % (name, " | ".join(cells)))

    print("\n### Markers: precision and recall on held-out rows whose markers are known\n")
    print("(our test rows and every benign row; shared rows labelled only `propaganda` left out)\n")
    print("| marker | positives | flagged | precision | recall |")
    print("|---|---:|---:|---:|---:|")
    known = [r for r in rows if r["ours"] or "propaganda" not in r["labels"]]
    for m in MARKERS:
        p = sum(m in r["labels"] for r in known)
        fl = [r for r in known if m in r["flagged"]]
        tp = sum(m in r["labels"] for r in fl)
        print("| %s | %d | %d | %s | %s |" % (m, p, len(fl), "%.3f" % (tp / len(fl)) if fl else "-",
                                              "%.3f" % (tp / p) if p else "-"))

    print("\n### ROC-AUC of the propaganda score\n")
    print("| positives | negatives | ROC-AUC |")
    print("|---|---|---:|")
    isis = [r["score"] for r in pos if not r["ours"] and r["lang"] == "en"]
    en_benign = [r["score"] for r in benign if r["lang"] == "en"]
    about = [r["score"] for r in benign if r["family"] == "about-isis"]
    print("| pro-ISIS tweets, en | every English benign row | %.4f |" % auc(isis, en_benign))
    print("| pro-ISIS tweets, en | tweets about ISIS | %.4f |" % auc(isis, about))
    for lang in LANGS:
        p = [r["score"] for r in pos if r["ours"] and r["lang"] == lang]
        n = [r["score"] for r in benign if r["lang"] == lang]
        print("| ours, %s | %s benign rows | %.4f |" % (lang, lang, auc(p, n)))

    print("\n### Operating points: the stored threshold and others (`--threshold T`)\n")
    stored = min([r["score"] for r in rows if "propaganda" in r["flagged"]] or [1.0])
    print("| threshold | FP ours: religious, chat, history | FP shared benign (not about-ISIS) "
          "| FP about-ISIS tweets | recall ours | " + " | ".join(LANGS) + " | pro-ISIS tweets |")
    print("|---|" + "---:|" * (4 + len(LANGS) + 1))

    def rate(sel, t):
        v = [r["score"] for r in rows if sel(r)]
        return "%.1f%%" % (100.0 * sum(x >= t for x in v) / len(v)) if v else "-"
    ben = lambda r: "propaganda" not in r["labels"]
    for t in sorted({round(stored, 3), 0.9, 0.8, 0.7, 0.6, 0.5, 0.4}, reverse=True):
        cells = [rate(lambda r: ben(r) and r["ours"] and r["family"] in ("religious", "chat", "history"), t),
                 rate(lambda r: ben(r) and not r["ours"] and r["family"] != "about-isis", t),
                 rate(lambda r: r["family"] == "about-isis", t),
                 rate(lambda r: not ben(r) and r["ours"], t)]
        cells += [rate(lambda r: not ben(r) and r["ours"] and r["lang"] == lang, t) for lang in LANGS]
        cells.append(rate(lambda r: not ben(r) and not r["ours"], t))
        print("| %s%.3f | %s |" % ("stored " if t == round(stored, 3) else "", t, " | ".join(cells)))


if __name__ == "__main__":
    main()
