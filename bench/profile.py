#!/usr/bin/env python3
"""Group callgrind's per-function costs into scoring stages (bench/profile.sh).

    bench/profile.py SELF.txt SELF-EMPTY.txt BYTES DOCS UTF8-IR > profile.md

SELF.txt: callgrind_annotate output (each function's own instructions) of
kuzat-classify on BYTES bytes / DOCS documents; SELF-EMPTY.txt the same on an
empty input (the start-up: loading the model, building the language
profiles), subtracted stage by stage; UTF8-IR the instructions of a plain
UTF-8 decode of the same bytes (bench/utf8.c). Writes a Markdown table.
"""
import re
import sys

LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?)(?:\s+\[(.*)\])?$")

# (stage, test on "file:function" and object), first match wins. A
# function inlined into another is reported under the file it was written
# in but the function it ended up in, so the tests look at the function's
# name first. The names of both the current code and the code before
# issue 18 are here, so that one script profiles either.
def fn(f):
    return f.rsplit(":", 1)[-1]


STAGES = [
    ("counting the features and the dot product with every marker's weights (count.c; "
     "before: build_vector's ordered table and kuzat__model_dot)",
     lambda f, o: re.match(r"(count_dot|kuzat__count_dot|build_vector|order_table|tf_weight_log"
                           r"|kuzat__model_dot|kuzat_model_decision)", fn(f))),
    ("model loading (inflate: libdeflate or zlib; the weights' layout)",
     lambda f, o: "libz" in o or "libdeflate" in o or re.search(r"(^|/)src/(model|container)\.c:", f)
     or re.match(r"kuzat__weights_build|kuzat__model_finish", fn(f))),
    ("reading input", lambda f, o: re.search(r"(^|/)src/(reader|read_[a-z]+)\.c:", f)
     or re.search(r":(__memchr|read|__read)", f)),
    ("language identification", lambda f, o: re.search(r"(^|/)src/langid\.c:", f)
     or re.match(r"kuzat__langid|kuzat__profile_|score_tri|trigrams", fn(f))),
    ("UTF-8 decoding + normalisation (case, script, homoglyph, invisible folding)",
     lambda f, o: re.search(r"(^|/)src/(normalise|normalise_fast|normalise_tables|chars)\.c:", f)
     or "libicu" in o),
    ("tokenising", lambda f, o: re.search(r"(^|/)src/tokenise\.c:", f)
     or re.match(r"tokenise", fn(f))),
    ("hashing n-grams (xxHash3; word and character n-grams, word cache)",
     lambda f, o: "xxhash" in f or "xxhash" in o or re.match(
         r"(char_grams|char_grams_cached|word_slot|word_gram|word_gram_hash|collect_keys"
         r"|hash_seeded|add_char_grams|kuzat__featurise_dot)", fn(f))),
    ("output: JSON, number formatting (printf), writing",
     lambda f, o: re.search(r"(^|/)classify/(main|output)\.c:", f) or re.search(
         r"(printf|vfprintf|_IO_|hack_digit|__mpn_|_itoa|strchrnul|fwrite|__strlen|libioP|iofwrite"
         r"|stdio2\.h|string_fortified\.h:json_string)", f)),
    ("scoring windows and probabilities (score.c, exp)",
     lambda f, o: re.search(r"(^|/)src/score\.c:", f) or re.search(r"(e_exp|w_exp|kuzat_platt_prob)", f)),
    ("dynamic linking, start-up", lambda f, o: "ld-linux" in o or "/elf/" in f),
]
OTHER = "other (memset, memcpy, malloc, ...)"


def parse(path):
    costs = {}
    with open(path) as f:
        text = f.read()
    body = text.split("file:function", 1)[1]
    for line in body.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        fn, obj = m.group(2), m.group(3) or ""
        for name, test in STAGES:
            if test(fn, obj):
                break
        else:
            name = OTHER
        costs[name] = costs.get(name, 0) + ir
    total = int(re.search(r"([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", text).group(1).replace(",", ""))
    return costs, total


def main():
    run, total = parse(sys.argv[1])
    empty, total0 = parse(sys.argv[2])
    nbytes, docs = int(sys.argv[3]), int(sys.argv[4])
    names = [s[0] for s in STAGES] + [OTHER]
    per = {k: run.get(k, 0) - empty.get(k, 0) for k in names}
    work = sum(max(v, 0) for v in per.values())
    print("callgrind, `kuzat-classify --lines` on %d documents (%.2f MB: an even spread of the "
          "lines of the throughput corpus's texts): "
          "%s instructions in all, %s of them start-up (the same run on an empty input: model "
          "loading, language profiles), %s scoring the documents, **%.0f instructions per input "
          "byte**.\n" % (docs, nbytes / 1e6, format(total, ","), format(total0, ","),
                          format(total - total0, ","), (total - total0) / nbytes))
    print("| stage | instructions / byte | share of the scoring |")
    print("|---|---:|---:|")
    load = names[1]  # model loading: paid once per process, in the empty run too
    for k in sorted(names, key=lambda k: -per[k]):
        if per[k] <= 0 or k == load:
            continue
        print("| %s | %.1f | %.1f%% |" % (k, per[k] / nbytes, 100.0 * per[k] / work))
    print("| start-up, once per process (%s) | %s in all | - |" % (load, format(total0, ",")))
    u8 = int(sys.argv[5])
    print("\nThe floor for comparison: splitting the same bytes into lines and decoding them as "
          "UTF-8 into code points, nothing else (bench/utf8.c), takes **%.1f instructions per "
          "byte**, %.1f%% of kuzat's scoring." % (u8 / nbytes, 100.0 * u8 / (total - total0)))


if __name__ == "__main__":
    main()
