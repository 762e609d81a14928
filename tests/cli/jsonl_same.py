"""Do two JSON Lines outputs of scores say the same, record for record?

    python3 tests/cli/jsonl_same.py WANT GOT

WANT is kuzat-classify --all-scores output, GOT another program's (the
Dask example's): the same ids in the same order, errors where WANT has
them (with the same message), and the same verdict, score, markers and
language elsewhere; fields WANT has beyond those are not compared.
Prints the first differences and exits 1, or prints the count and exits 0.
"""
import json
import sys


def main(want_path, got_path):
    with open(want_path, encoding="utf-8") as f:
        want = [json.loads(line) for line in f]
    with open(got_path, encoding="utf-8") as f:
        got = [json.loads(line) for line in f]
    bad = []
    if len(want) != len(got):
        bad.append("%d records, want %d" % (len(got), len(want)))
    for i, (w, g) in enumerate(zip(want, got)):
        keys = ("id", "error") if "error" in w else ("id", "flagged", "score", "markers", "lang")
        for k in keys:
            if w.get(k) != g.get(k):
                bad.append("record %d (%s): %s is %r, want %r" % (i + 1, w.get("id"), k,
                                                                 g.get(k), w.get(k)))
    if bad:
        print("\n".join(bad[:10]))
        return 1
    print("%d records the same" % len(want))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
