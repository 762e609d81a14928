"""Tests of the Python binding (run by `make test` through tests/cli/test_python.sh).

    KUZAT_LIBRARY=build/libkuzat.so.1 KUZAT_BUILD=build python3 -m pytest python/

Scores must be the ones kuzat-classify prints for the same input, the
model must load from memory, and threads must give the serial results.
"""

import json
import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import kuzat

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
BUILD = os.environ.get("KUZAT_BUILD", "build")
CLASSIFY = os.path.join(ROOT, BUILD, "kuzat-classify")
MODEL = os.path.join(ROOT, "models", "default.kzm")


def our_texts():
    """The tests' own sentences (every language) and the demo samples."""
    texts = []
    with open(os.path.join(ROOT, "tests", "data", "classify", "train.tsv"),
              encoding="utf-8") as f:
        next(f)
        texts += [line.split("\t")[1] for line in f]
    samples = os.path.join(ROOT, "datasets", "samples")
    for name in sorted(os.listdir(samples)):
        if name.endswith(".txt"):
            with open(os.path.join(samples, name), encoding="utf-8") as f:
                texts.append(f.read())
    return texts


def classify(records, *args):
    """kuzat-classify's JSON output for JSONL records."""
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    out = subprocess.run([CLASSIFY, "-m", MODEL, "--format", "jsonl", "--all-scores"]
                         + list(args), input=data.encode(), capture_output=True,
                         check=True).stdout
    return [json.loads(line) for line in out.decode().splitlines()]


@pytest.fixture(scope="module")
def model():
    with open(MODEL, "rb") as f:
        return kuzat.Model.from_bytes(f.read())


def test_version_is_the_programs():
    out = subprocess.run([CLASSIFY, "--version"], capture_output=True, check=True)
    assert kuzat.version() in out.stdout.decode()


def test_model_from_memory_is_the_file(model):
    assert model.id == kuzat.Model.from_file(MODEL).id
    assert model.marker_names[0] == kuzat.DECISION_MARKER == "propaganda"
    assert set(model.marker_names[1:]) == {"recruitment", "incitement", "threat", "glorification",
                                           "religious_justification", "fundraising",
                                           "instructional"}
    assert 0 < model.thresholds[0] < 1


def test_normalise_every_spelling():
    for s in ["O'zbekiston", "O‘zbekiston", "O`zbekiston"]:
        assert kuzat.normalise(s) == ("oʻzbekiston", "uz-Latn")
    assert kuzat.normalise("Ўзбекистон") == ("oʻzbekiston", "uz-Cyrl")
    assert kuzat.normalise("Ўзбекистон", translit=False)[0] == "ўзбекистон"


def test_same_scores_as_the_cli(model):
    texts = our_texts()
    cli = classify([{"id": str(i), "text": t} for i, t in enumerate(texts)])
    assert len(cli) == len(texts)
    for text, c in zip(texts, cli):
        r = model.score(text)
        assert abs(r.score - c["score"]) <= 5e-5, text
        assert abs(r.markers["propaganda"] - c["markers"]["propaganda"]) <= 5e-5
        assert r.flagged == c["flagged"]
        assert r.lang == c["lang"]
    assert any(c["flagged"] for c in cli) and not all(c["flagged"] for c in cli)


def test_transcript_same_as_the_cli(model):
    segs = [(0.0, 2.0, "Salom do'stlar, bugun bozorga bordik"),
            (2.0, 4.5, "Birodarlar, hijratga shoshiling"),
            (4.5, 7.0, "safimizga qo'shiling, bay'at qiling"),
            (7.0, 9.0, "Ertaga havo yaxshi bo'ladi")]
    cli = classify([{"id": "v", "segments": [{"start": a, "end": b, "text": t}
                                             for a, b, t in segs]}], "--window", "2")[0]
    r = model.score_segments(segs, window=2)
    assert abs(r.score - cli["score"]) <= 5e-5
    assert [round(p, 4) for _, _, p in r.segments] == [s["score"] for s in cli["segments"]]
    assert r.worst == (2.0, 7.0)


def test_threads_give_the_serial_scores(model):
    texts = our_texts() * 4
    serial = [model.scorer().score(t).markers for t in texts[:1]] + \
             [model.score(t).markers for t in texts[1:]]
    seen = set()

    def one(t):
        seen.add(threading.get_ident())
        return model.score(t).markers

    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(one, texts))
    assert parallel == serial  # bit for bit
    assert len(seen) > 1


def test_explain_points_into_the_text(model):
    text = "Bugun havo yaxshi. Birodarlar, hijratga shoshiling!"
    r = model.score(text, explain=3)
    words = r.explain["propaganda"]
    assert 0 < len(words) <= 3
    for word, weight, (i, j) in words:
        assert kuzat.normalise(text[i:j])[0] == word
    assert words[0][1] > 0


def test_errors_say_why(model, tmp_path):
    with pytest.raises(kuzat.Error) as e:
        kuzat.Model.from_bytes(b"not a model")
    assert e.value.status == kuzat.EFORMAT and "not a kuzat model" in str(e.value)
    with open(MODEL, "rb") as f:
        half = f.read()
    with pytest.raises(kuzat.Error) as e:
        kuzat.Model.from_bytes(half[: len(half) // 2])
    assert e.value.status == kuzat.EFORMAT
    missing = str(tmp_path / "none.kzm")
    with pytest.raises(kuzat.Error) as e:
        kuzat.Model.from_file(missing)
    assert e.value.status == kuzat.EIO and missing in str(e.value)
    with pytest.raises(kuzat.Error) as e:
        model.score("x", window_bytes=10)
    assert e.value.status == kuzat.EINVAL
    with pytest.raises(kuzat.Error) as e:
        kuzat.TrainSet().add("x", lang="xx")
    assert e.value.status == kuzat.EINVAL and "xx" in str(e.value)


def test_train_in_memory_save_and_load(tmp_path):
    ts = kuzat.TrainSet()
    with open(os.path.join(ROOT, "tests", "data", "classify", "train.tsv"),
              encoding="utf-8") as f:
        next(f)
        for line in f:
            _, text, labels, lang, group = line.rstrip("\n").split("\t")
            ts.add(text, [l for l in labels.split(",") if l], lang, group)
    assert len(ts) == 52
    m = ts.train(grid=[1.0], folds=3)
    path = str(tmp_path / "m.kzm")
    m.save(path)
    again = kuzat.Model.from_file(path)
    assert again.id == m.id
    texts = our_texts()
    assert [again.score(t).score for t in texts] == [m.score(t).score for t in texts]
    assert m.score("Birodarlar, hijratga shoshiling").score > m.score("Bugun havo yaxshi").score
