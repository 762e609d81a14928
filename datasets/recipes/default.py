#!/usr/bin/env python3
"""Build the default model's training and held-out sets (run by `make model`).

    datasets/recipes/default.py SHARED_DATASETS OUT_DIR

Reads ../shared/datasets (never copied into the repository) and our own
datasets/kuzat-set, and writes into OUT_DIR:

  train.tsv          what kuzat-train learns from
  heldout.tsv        never trained on: our set's test.tsv plus a held-out
                     fifth of every shared source, for the model card
  heldout-KIND.tsv   the same rows by kind: ours (our test.tsv),
                     ours-reporting (its reporting rows), about-isis, isis-
                     propaganda, persuasion (the three persuasion sources),
                     benign-ca (the Central Asian and Russian benign sources)
  counts.tsv         rows per source, split, label and language

Columns: id, text, labels, lang, group. The only marker is `propaganda`
(the specific markers of our set are dropped: the shared data has none, so
its propaganda rows would wrongly count as negatives for them).

Label mapping per source (see each source's README in ../shared/datasets):
  isis-twitter-en       propaganda -> propaganda (an account-level label: tweets
                        of pro-ISIS accounts); about_isis -> negative (tweets
                        that mention ISIS: mostly news and comment)
  ptc-semeval2020-task11, semeval2023-task3-persuasion,
  unlp2025-manipulation-telegram
                        every row -> negative: their "propaganda" is persuasion
                        technique in news and Telegram politics, not militant
                        propaganda; they teach the model that loaded language
                        alone is not enough
  kyrgyz-24kg-topics, tajik-text, uzbek-sentiment (manual), tatoeba-uzbek-
  cyrillic, ud-treebanks-ky-uz-ru
                        every row -> negative (news, speeches, reviews,
                        sentences: benign Central Asian and Russian text)
  radicalization-tt     not used: hashtag-based labels, and the README warns
                        that many "radical" tweets are anti-jihadist news
  kuzat-set (ours)      propaganda -> propaganda, every other row negative
                        (reporting is a negative for propaganda by definition)

Groups: no source gives accounts, so rows are grouped by a near-duplicate key
(lower-cased letters of the text without "RT @x:", URLs and mentions, first
60 letters): retweets and truncated copies share a group and never straddle
a cross-validation fold or the held-out split. Our set has its own groups.

The language confound: every shared positive is English or Arabic and every
Central Asian text is benign. Against it: (1) our positives in all six
languages, repeated REPEAT_OURS times in training (the copies share their
group, so cross-validation never scores a row with its own copy); (2) the
benign Central Asian and persuasion sources are capped so that they do not
outweigh the positives of any language; (3) the model card measures recall per
language on held-out positives and false-positive rate on held-out benign text.

Sampling is seeded: the same inputs give the same files.
"""
import csv
import hashlib
import os
import random
import re
import sys
from collections import Counter

SEED = 20261129
REPEAT_OURS = int(os.environ.get("KUZAT_REPEAT_OURS", "8"))
HELD_OUT = 5  # one group in HELD_OUT goes to heldout.tsv

# source, file, mapping function(label) -> labels (None: drop the row), and
# the most rows to take for training and for held-out measuring: one number
# for the whole source (labels in proportion) or a cap per mapped label
def isis(label):
    return {"propaganda": "propaganda", "about_isis": ""}[label]


def negative(label):
    return ""


# Labels a source may carry; any other stops the recipe (a changed source must
# be looked at, not guessed). None: the label does not decide anything.
KNOWN = {
    "isis-twitter-en": {"propaganda", "about_isis"},
    "ptc-semeval2020-task11": {"propaganda", "neutral"},
    "semeval2023-task3-persuasion": {"propaganda", "neutral"},
    "unlp2025-manipulation-telegram": {"propaganda", "neutral"},
    "uzbek-sentiment": {"positive", "negative"},
    "tatoeba-uzbek-cyrillic": {"tatoeba_sentence"},
}
LANGS = {"uz-Latn", "uz-Cyrl", "tg", "ky", "ru", "en", "ar", "fa", "uk", "und", ""}

KIND = {
    "ptc-semeval2020-task11": "persuasion",
    "semeval2023-task3-persuasion": "persuasion",
    "unlp2025-manipulation-telegram": "persuasion",
    "kyrgyz-24kg-topics": "benign-ca",
    "tajik-text": "benign-ca",
    "uzbek-sentiment": "benign-ca",
    "tatoeba-uzbek-cyrillic": "benign-ca",
    "ud-treebanks-ky-uz-ru": "benign-ca",
}

SOURCES = [
    ("isis-twitter-en", "train.tsv", isis,
     {"propaganda": int(os.environ.get("KUZAT_EN_POSITIVES", "2000")), "": 2000},
     {"propaganda": 1500, "": 1000}),
    ("ptc-semeval2020-task11", "train.tsv", negative, 1200, 400),
    ("semeval2023-task3-persuasion", "train.tsv", negative, 1200, 400),
    ("unlp2025-manipulation-telegram", "train.tsv", negative, 600, 300),
    ("kyrgyz-24kg-topics", "train.tsv", negative, 600, 300),
    ("tajik-text", "train.tsv", negative, 600, 300),
    ("uzbek-sentiment", "manual_train.tsv", negative, 600, 300),
    ("tatoeba-uzbek-cyrillic", "train.tsv", negative, 100, 100),
    ("ud-treebanks-ky-uz-ru", "train.tsv", negative, 900, 400),
]

LETTERS = re.compile(r"[^\w]+|\d+|_+")
NOISE = re.compile(r"(?i)\brt\s+@\w+:?|https?://\S+|www\.\S+|@\w+")


def near_dup_key(text):
    t = NOISE.sub(" ", text).lower()
    t = LETTERS.sub("", t)
    return t[:60] or text[:60]


def digest(s):
    return hashlib.sha1(s.encode("utf-8")).hexdigest()


def fail(msg):
    sys.exit("default recipe: " + msg)


def read_tsv(path, need=("label", "lang", "text")):
    if not os.path.exists(path):
        fail("%s is missing" % path)
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(r, [])
        missing = [c for c in need if c not in header]
        if missing:
            fail("%s: no %s column (header: %s)" % (path, ", ".join(missing), " ".join(header)))
        for line, row in enumerate(r, 2):
            if len(row) < len(header):
                fail("%s:%d: %d columns, expected %d" % (path, line, len(row), len(header)))
            yield line, dict(zip(header, row))


def clean(text):
    return " ".join(text.replace("\t", " ").split())


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    shared, out = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    ours = os.path.join(here, "..", "kuzat-set")
    os.makedirs(out, exist_ok=True)
    rng = random.Random(SEED)
    train, held, counts = [], [], Counter()
    kinds = {}  # kind -> held-out rows

    for name, fname, mapping, cap_train, cap_held in SOURCES:
        path = os.path.join(shared, name, fname)
        parts = {"train": [], "heldout": []}
        known = KNOWN.get(name)
        for line, row in read_tsv(path):
            text = clean(row["text"])
            if not text:
                continue
            if known is not None and row["label"] not in known:
                fail("%s:%d: label %r is not one this recipe knows (%s)"
                     % (path, line, row["label"], ", ".join(sorted(known))))
            if row["lang"] not in LANGS:
                fail("%s:%d: unknown lang %r" % (path, line, row["lang"]))
            labels = mapping(row["label"])
            if labels is None:
                continue
            group = name + ":" + digest(near_dup_key(text))[:12]
            split = "heldout" if int(digest(group)[:8], 16) % HELD_OUT == 0 else "train"
            lang = row["lang"] if row["lang"] not in ("und", "uk") else ""
            parts[split].append(["%s:%d" % (name, line), text, labels, lang, group])
        for split, rows, cap in (("train", parts["train"], cap_train), ("heldout", parts["heldout"], cap_held)):
            # cap each label of the source in proportion, by a seeded sample
            by_label = {}
            for r in rows:
                by_label.setdefault(r[2], []).append(r)
            total = len(rows)
            for lab in sorted(by_label):
                rs = by_label[lab]
                if isinstance(cap, dict):
                    k = min(len(rs), cap.get(lab, 0))
                else:
                    k = min(len(rs), max(1, round(cap * len(rs) / total))) if total > cap else len(rs)
                pick = sorted(rng.sample(range(len(rs)), k))
                chosen = [rs[j] for j in pick]
                (train if split == "train" else held).extend(chosen)
                if split == "heldout":
                    kind = KIND.get(name) or ("isis-propaganda" if lab else "about-isis")
                    kinds.setdefault(kind, []).extend(chosen)
                for r in chosen:
                    counts[(name, split, r[2] or "-", r[3] or "?")] += 1

    for split, fname in (("train", "train.tsv"), ("heldout", "test.tsv")):
        for _, row in read_tsv(os.path.join(ours, fname), ("id", "text", "labels", "lang", "group")):
            labels = "propaganda" if "propaganda" in row["labels"].split(",") else ""
            r = [row["id"], row["text"], labels, row["lang"], "kuzat-set:" + row["group"]]
            if split == "train":
                train.extend([r] * REPEAT_OURS)
            else:
                held.append(r)
                kinds.setdefault("ours", []).append(r)
                if "reporting" in row["labels"].split(","):
                    kinds.setdefault("ours-reporting", []).append(r)
            counts[("kuzat-set", split, labels or "-", row["lang"])] += 1

    header = ["id", "text", "labels", "lang", "group"]
    files = [("train.tsv", train), ("heldout.tsv", held)]
    files += [("heldout-%s.tsv" % k, kinds[k]) for k in sorted(kinds)]
    for fname, rows in files:
        with open(os.path.join(out, fname), "w", encoding="utf-8", newline="") as f:
            f.write("\t".join(header) + "\n")
            for r in rows:
                f.write("\t".join(r) + "\n")
    with open(os.path.join(out, "counts.tsv"), "w", encoding="utf-8") as f:
        f.write("source\tsplit\tlabel\tlang\trows\n")
        for k in sorted(counts):
            f.write("\t".join(k) + "\t%d\n" % counts[k])
    print("default recipe: %d training rows (our %d rows x %d), %d held-out rows -> %s"
          % (len(train), sum(v for k, v in counts.items() if k[0] == "kuzat-set" and k[1] == "train"),
             REPEAT_OURS, len(held), out), file=sys.stderr)


if __name__ == "__main__":
    main()
