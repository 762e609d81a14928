#!/usr/bin/env python3
"""Rewrite texts the way propagandists do to slip past filters (make bench).

    bench/perturb.py RATE SEED < in.tsv > out.tsv

Reads a TSV with a header naming "id", "text" and "lang" columns (the
held-out files of datasets/recipes/default.py), and writes the same rows
with the text rewritten: each word is picked with probability RATE (1:
every word) and gets one of the rewrites below that applies to it, picked at
random. Seeded: the same input, RATE and SEED give the same bytes (each
row's generator is seeded by SEED and the row's id, so a row is rewritten
the same whichever file it is in).

  homoglyph    Latin letters swapped for the Cyrillic ones that look the same
               (a->а, e->е, o->о, p->р, c->с, x->х, y->у, i->і, ...), or the
               other way round in a Cyrillic word
  invisible    a zero-width space, non-joiner, joiner, word joiner, BOM or
               soft hyphen inside the word
  fullwidth    ASCII letters and digits as their full-width forms (Ａ, ａ, １)
  case         every letter upper or lower case at random
  decomposed   precomposed letters written as base + combining mark
               (ё -> е + U+0308, й -> и + U+0306, ў, ӣ, é ...); a word with
               none gets a combining acute (a stress mark) on a vowel
  apostrophe   Uzbek o' g' and the tutuq belgisi ' as one of ʻ ʼ ’ ‘ ` ´
  cyrillic     an Uzbek Latin word (lang uz-Latn) transliterated to Uzbek
               Cyrillic (sh -> ш, o' -> ў, g' -> ғ, ...)
"""
import hashlib
import random
import re
import sys
import unicodedata

LAT2CYR = dict(zip("aceopxyiABCEHKMOPTXYI", "асеорхуіАВСЕНКМОРТХУІ"))
CYR2LAT = {v: k for k, v in LAT2CYR.items()}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
APOSTROPHES = ["\u02bb", "\u02bc", "\u2019", "\u2018", "`", "\u00b4"]
APOS = "'\u02bb\u02bc\u2019\u2018`\u00b4"
VOWELS = set("aeiouAEIOUаеиоуэюяыАЕИОУЭЮЯЫ")

# Uzbek Latin -> Cyrillic (the 1995 alphabet), longest first.
UZ_MULTI = [("o'", "ў"), ("g'", "ғ"), ("sh", "ш"), ("ch", "ч"), ("ng", "нг"),
            ("yo", "ё"), ("yu", "ю"), ("ya", "я"), ("ye", "е")]
UZ_ONE = dict(zip("abdefghijklmnopqrstuvxyz'",
                  ["а", "б", "д", "е", "ф", "г", "ҳ", "и", "ж", "к", "л", "м", "н", "о",
                   "п", "қ", "р", "с", "т", "у", "в", "х", "й", "з", "ъ"]))


def translit_uz(word):
    w = re.sub("[%s]" % APOS[1:], "'", word)
    out, i = [], 0
    while i < len(w):
        for lat, cyr in UZ_MULTI:
            seg = w[i:i + len(lat)]
            if seg.lower() == lat:
                out.append(cyr.upper() if seg[0].isupper() else cyr)
                i += len(lat)
                break
        else:
            ch = w[i]
            c = UZ_ONE.get(ch.lower())
            if c is None:
                out.append(ch)
            else:
                # word-initial e is э in Uzbek Cyrillic
                if ch.lower() == "e" and i == 0:
                    c = "э"
                out.append(c.upper() if ch.isupper() else c)
            i += 1
    return "".join(out)


def is_cyrillic(word):
    return any("\u0400" <= ch <= "\u04ff" for ch in word)


def homoglyph(w, rng):
    table = CYR2LAT if is_cyrillic(w) else LAT2CYR
    idx = [i for i, ch in enumerate(w) if ch in table]
    if not idx:
        return None
    pick = set(rng.sample(idx, max(1, (len(idx) + 1) // 2)))
    return "".join(table[ch] if i in pick else ch for i, ch in enumerate(w))


def invisible(w, rng):
    if len(w) < 2:
        return None
    i = rng.randrange(1, len(w))
    return w[:i] + rng.choice(INVISIBLE) + w[i:]


def fullwidth(w, rng):
    if not any(ch.isascii() and ch.isalnum() for ch in w):
        return None
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch for ch in w)


def randcase(w, rng):
    if not any(ch.isalpha() for ch in w):
        return None
    out = "".join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in w)
    return out if out != w else w.swapcase()


def decomposed(w, rng):
    d = unicodedata.normalize("NFD", w)
    if d != w:
        return d
    idx = [i for i, ch in enumerate(w) if ch in VOWELS]
    if not idx:
        return None
    i = rng.choice(idx)
    return w[:i + 1] + "\u0301" + w[i + 1:]


def apostrophe(w, rng):
    if not any(ch in APOS for ch in w):
        return None
    return "".join(rng.choice(APOSTROPHES) if ch in APOS else ch for ch in w)


def cyrillic(w, rng, lang):
    if lang != "uz-Latn" or not any(ch.isalpha() and ch.isascii() for ch in w):
        return None
    return translit_uz(w)


REWRITES = [homoglyph, invisible, fullwidth, randcase, decomposed, apostrophe]


def rewrite_word(w, rng, lang):
    options = list(REWRITES) + [lambda x, r: cyrillic(x, r, lang)]
    rng.shuffle(options)
    for f in options:
        out = f(w, rng)
        if out is not None and out != w:
            return out
    return w


def perturb(text, rate, rng, lang):
    parts = re.split(r"(\s+)", text)
    out = []
    for p in parts:
        if p and not p.isspace() and any(ch.isalnum() for ch in p) and rng.random() < rate:
            p = rewrite_word(p, rng, lang)
        out.append(p)
    return "".join(out)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    rate, seed = float(sys.argv[1]), sys.argv[2]
    sys.stdin.reconfigure(encoding="utf-8", newline="")
    sys.stdout.reconfigure(encoding="utf-8", newline="")
    header = sys.stdin.readline().rstrip("\n").split("\t")
    sys.stdout.write("\t".join(header) + "\n")
    ti, ii, li = header.index("text"), header.index("id"), header.index("lang")
    for line in sys.stdin:
        row = line.rstrip("\n").split("\t")
        key = hashlib.sha1(("%s\0%s" % (seed, row[ii])).encode()).digest()
        rng = random.Random(int.from_bytes(key[:8], "big"))
        row[ti] = perturb(row[ti], rate, rng, row[li])
        sys.stdout.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
