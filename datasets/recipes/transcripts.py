#!/usr/bin/env python3
"""Transcripts from held-out rows, for the worst-window decision (make model).

    datasets/recipes/transcripts.py HELDOUT.tsv OUT_DIR CLASSIFY MODEL

Builds subtitle files (SRT) of 40 cues from the recipe's held-out rows
(never trained on) and scores them with `CLASSIFY -m MODEL`:

  benign/    files of 40 benign cues of one language (shared news, reviews,
             sentences, tweets and scripture, and ours), 300 per language
             with enough rows (fewer cues than 40 rows: the language is skipped)
  single/    for each held-out positive of ours, one file: the positive as
             one cue among 39 benign cues of its language, at a seeded place
  alone/     the same positives, each alone in a one-cue file

and prints Markdown: the share of benign files flagged per language, and
per language the share of positives found alone and found among 39 benign
cues. Seeded: the same inputs give the same files.
"""
import csv
import json
import os
import random
import subprocess
import sys

LANGS = ["uz-Latn", "uz-Cyrl", "tg", "ky", "ru", "en"]
CUES = 40
FILES = 300


def srt(cues):
    out = []
    for i, text in enumerate(cues):
        a, b = 2 * i, 2 * i + 2
        out.append("%d\n00:%02d:%02d,000 --> 00:%02d:%02d,000\n%s\n" % (
            i + 1, a // 60, a % 60, b // 60, b % 60, " ".join(text.split())))
    return "\n".join(out)


def score(classify, model, files):
    """{path: flagged} from one kuzat-classify run over `files`."""
    out = {}
    for i in range(0, len(files), 2000):
        chunk = files[i:i + 2000]
        p = subprocess.run([classify, "-q", "-m", model, "--format", "srt"] + chunk,
                           check=True, capture_output=True, text=True)
        for line in p.stdout.splitlines():
            r = json.loads(line)
            out[r["id"]] = r["flagged"]
    return out


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.split("\n\n")[1])
    held, out, classify, model = sys.argv[1:]
    rng = random.Random(20261207)
    with open(held, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    benign = {l: [r["text"] for r in rows if r["lang"] == l and "propaganda" not in r["labels"].split(",")
                  and r["family"] not in ("twins", "about-isis")] for l in LANGS}
    pos = [r for r in rows if r["id"].startswith("ks-") and "propaganda" in r["labels"].split(",")]
    made = {"benign": {}, "single": {}, "alone": {}}
    for d in made:
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for l in LANGS:
        if len(benign[l]) < CUES:
            continue
        for k in range(FILES):
            p = os.path.join(out, "benign", "%s-%03d.srt" % (l, k))
            with open(p, "w", encoding="utf-8") as f:
                f.write(srt(rng.sample(benign[l], CUES)))
            made["benign"][p] = l
    for r in pos:
        l = r["lang"]
        if len(benign[l]) < CUES - 1:
            continue
        cues = rng.sample(benign[l], CUES - 1)
        cues.insert(rng.randrange(CUES), r["text"])
        for d, c in (("single", cues), ("alone", [r["text"]])):
            p = os.path.join(out, d, r["id"] + ".srt")
            with open(p, "w", encoding="utf-8") as f:
                f.write(srt(c))
            made[d][p] = l
    flags = score(classify, model, sorted(made["benign"]) + sorted(made["single"]) + sorted(made["alone"]))

    def rate(d, l):
        ps = [p for p, pl in made[d].items() if pl == l]
        return "-" if not ps else "%.1f%% (%d/%d)" % (100.0 * sum(flags[p] for p in ps) / len(ps),
                                                      sum(flags[p] for p in ps), len(ps))
    print("| transcripts of 40 cues | " + " | ".join(LANGS) + " |")
    print("|---|" + "---:|" * len(LANGS))
    print("| benign, flagged | " + " | ".join(rate("benign", l) for l in LANGS) + " |")
    print("| one positive of ours alone (one cue), found | " + " | ".join(rate("alone", l) for l in LANGS) + " |")
    print("| the same among 39 benign cues, found | " + " | ".join(rate("single", l) for l in LANGS) + " |")


if __name__ == "__main__":
    main()
