"""Tests of the package's batch API, data frames, pickling, the reader and
how it finds its library (run by `make test` through tests/cli/test_python.sh).

    KUZAT_LIBRARY=build/libkuzat.so.1 KUZAT_BUILD=build python3 -m pytest python/

Batches must give exactly the scores of one text at a time, in order;
tests that need numpy or pandas skip without them.
"""

import ctypes
import gzip
import json
import os
import pickle
import re
import shutil
import subprocess
import sys

import pytest

import kuzat

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
BUILD = os.environ.get("KUZAT_BUILD", "build")
CLASSIFY = os.path.join(ROOT, BUILD, "kuzat-classify")
MODEL = os.path.join(ROOT, "models", "default.kzm")
GOLDEN = os.path.join(ROOT, "tests", "data", "classify", "golden")


def our_texts():
    """The tests' own sentences (every language), numbered so they differ."""
    with open(os.path.join(ROOT, "tests", "data", "classify", "train.tsv"),
              encoding="utf-8") as f:
        next(f)
        texts = [line.split("\t")[1] for line in f]
    return ["%s %d" % (t, i) for i, t in enumerate(texts * 8)]


@pytest.fixture(scope="module")
def model():
    return kuzat.Model.from_file(MODEL)


def same(a, b):
    """Two Results are the same, NaN included."""
    da, db = a.to_dict(), b.to_dict()
    for d in (da, db):
        d.pop("worst")  # score_many() does not say where
        d["score"] = repr(d["score"])
        d["markers"] = {k: repr(v) for k, v in d["markers"].items()}
    return da == db


# ---------------------------------------------------------------- batches

def test_score_many_is_score_one_by_one(model):
    texts = our_texts()
    one = [model.score(t) for t in texts]
    for threads in (1, 2, 3):
        many = model.score_many(texts, threads=threads)
        assert len(many) == len(texts)
        bad = [i for i, (a, b) in enumerate(zip(one, many)) if not same(a, b)]
        assert bad == [], "threads=%d: texts %s differ" % (threads, bad[:5])
    assert any(r.flagged for r in one) and not all(r.flagged for r in one)


def test_score_many_in_several_calls(model, monkeypatch):
    texts = our_texts()[:100]
    whole = model.score_many(texts, threads=2)
    monkeypatch.setattr(kuzat, "BATCH", 7)  # 15 calls into the library
    assert all(same(a, b) for a, b in zip(whole, model.score_many(texts, threads=2)))


def test_missing_texts_score_nan(model):
    rs = model.score_many(["salom", None, float("nan"), b"Birodarlar, hijratga shoshiling",
                           ""])
    assert [r.lang for r in rs] == ["uz-Latn", None, None, "uz-Latn", "other"]
    for r in rs[1:3]:
        assert r.score != r.score and not r.flagged
        assert all(p != p for p in r.markers.values())
        assert not any(r.flags.values())
    assert rs[3].score == model.score("Birodarlar, hijratga shoshiling").score
    nan = model.score(None)
    assert nan.score != nan.score and nan.lang is None
    assert model.score(float("nan")).lang is None


def test_non_texts_are_refused_by_position(model):
    with pytest.raises(TypeError, match=r"texts\[2\] is int"):
        model.score_many(["a", "b", 3])
    with pytest.raises(TypeError, match="score_many takes a sequence"):
        model.score_many("one text")
    with pytest.raises(TypeError, match="cannot score a dict"):
        model.score({"text": "a"})
    with pytest.raises(ValueError):
        model.score_many(["a"], output="xml")
    with pytest.raises(ValueError):
        model.score_many(["a"], threads=-1)


def test_batches_of_anything_iterable(model):
    assert model.score_many([]) == []
    gen = model.score_many(t for t in ["salom", "hayr"])
    assert [r.lang for r in gen] == ["uz-Latn", "uz-Latn"]
    assert [r.score for r in model.score(["salom", None])][0] == model.score("salom").score
    assert model.score_many(["x"] * 40, threads=0)[39].score == model.score("x").score


def test_batch_parameters(model):
    text = "Bugun havo yaxshi. " * 40 + "Birodarlar, hijratga shoshiling!"
    assert model.score_many([text], window_bytes=128)[0].score == \
        model.score(text, window_bytes=128).score
    assert all(r.flagged for r in model.score_many(["salom", "hayr"], threshold=0.0))
    with pytest.raises(kuzat.Error) as e:
        model.score_many(["x"], window_bytes=10)
    assert e.value.status == kuzat.EINVAL and "text 0" in str(e.value)


def test_the_library_runs_batches_without_the_gil():
    # ctypes.CDLL (not PyDLL) releases the GIL around every foreign call;
    # score_many() is one such call per batch.
    lib = kuzat._lib.lib
    assert isinstance(lib, ctypes.CDLL) and not isinstance(lib, ctypes.PyDLL)


def test_result_to_dict(model):
    d = model.score("Birodarlar, hijratga shoshiling").to_dict()
    assert set(d) == {"score", "flagged", "lang", "markers", "flags", "worst", "segments",
                      "explain"}
    assert d["flagged"] is True and d["lang"] == "uz-Latn"
    assert json.loads(json.dumps(d))["markers"]["propaganda"] == d["score"]


# ---------------------------------------------------------------- numpy, pandas

def test_numpy_output(model):
    np = pytest.importorskip("numpy")
    texts = our_texts()[:60] + [None]
    cols = model.score_many(np.array(texts, dtype=object), threads=2, output="numpy")
    one = model.score_many(texts)
    assert list(cols) == ["score", "flagged"] + model.marker_names + ["lang"]
    assert cols["score"].dtype == np.float64 and cols["flagged"].dtype == bool
    assert cols["score"][:60].tolist() == [r.score for r in one[:60]]
    assert np.isnan(cols["score"][60]) and cols["lang"][60] is None
    assert cols["recruitment"].tolist()[:60] == [r.markers["recruitment"] for r in one[:60]]
    assert cols["flagged"].tolist() == [r.flagged for r in one]
    assert cols["lang"].tolist() == [r.lang for r in one]
    # numpy's own strings and NaN
    words = model.score_many(np.array(["salom", "hayr"]), output="numpy")
    assert words["lang"].tolist() == ["uz-Latn", "uz-Latn"]
    assert np.isnan(model.score_many([np.float64("nan")], output="numpy")["score"][0])


def test_pandas_columns_and_frames(model):
    pd = pytest.importorskip("pandas")
    texts = our_texts()[:30]
    df = pd.DataFrame({"text": texts + [None, pd.NA, float("nan")],
                       "n": range(33)}, index=["r%d" % i for i in range(33)])
    out = model.score_frame(df, column="text", threads=2)
    assert list(out.columns) == ["text", "n", "score", "flagged"] + model.marker_names + ["lang"]
    assert list(df.columns) == ["text", "n"]  # df itself is not changed
    assert list(out.index) == list(df.index)
    one = model.score_many(texts)
    assert out["score"].tolist()[:30] == [r.score for r in one]
    assert out["score"].iloc[30:].isna().all() and out["lang"].iloc[30:].isna().all()
    assert not out["flagged"].iloc[30:].any()
    assert out["propaganda"].tolist()[:30] == [r.markers["propaganda"] for r in one]
    cols = model.score_many(df["text"], output="pandas")
    assert list(cols.index) == list(df.index) and cols["score"].iloc[0] == one[0].score
    listed = model.score_many(texts[:3] + [None], output="pandas")
    assert list(listed.index) == [0, 1, 2, 3] and listed["lang"].iloc[3] is None
    twice = model.score_frame(pd.DataFrame({"text": ["salom", "hayr"]}, index=[7, 7]))
    assert twice["score"].tolist() == [model.score("salom").score, model.score("hayr").score]
    prefixed = model.score_frame(df, prefix="kz_")
    assert "kz_score" in prefixed.columns and "kz_lang" in prefixed.columns
    # a pandas string column, whose missing value is pandas.NA
    s = pd.Series(["salom", None], dtype="string")
    assert model.score_many(s, output="pandas")["lang"].tolist() == ["uz-Latn", None]
    with pytest.raises(TypeError, match=r"texts\[1\] \(index 'b'\) is int"):
        model.score_many(pd.Series(["a", 5], index=["a", "b"]))


# ---------------------------------------------------------------- pickling

def test_a_model_pickles_by_its_bytes(model):
    blob = pickle.dumps(model)
    with open(MODEL, "rb") as f:
        assert len(blob) > len(f.read())  # the model's bytes, not a path
    again = pickle.loads(blob)
    assert again.id == model.id
    assert again.score("Birodarlar, hijratga shoshiling").score == \
        model.score("Birodarlar, hijratga shoshiling").score
    # the same model, unpickled again in this process, is not loaded again
    assert pickle.loads(blob) is again
    # in another process (as an engine's worker would)
    code = ("import pickle, sys, kuzat; m = pickle.load(sys.stdin.buffer); "
            "print(m.id, m.score('salom').score)")
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True,
                         check=True, env=dict(os.environ, PYTHONPATH=os.path.dirname(
                             os.path.abspath(__file__)))).stdout.decode().split()
    assert out == [model.id, repr(model.score("salom").score)]


def test_a_trained_model_and_its_scorers_and_results_pickle(model):
    ts = kuzat.TrainSet()
    with open(os.path.join(ROOT, "tests", "data", "classify", "train.tsv"),
              encoding="utf-8") as f:
        next(f)
        for line in f:
            _, text, labels, lang, group = line.rstrip("\n").split("\t")
            ts.add(text, [x for x in labels.split(",") if x], lang, group)
    m = ts.train(grid=[1.0], folds=3)
    again = pickle.loads(pickle.dumps(m))  # through kuzat_model_save()
    assert again.id == m.id and again.marker_names == m.marker_names
    s = pickle.loads(pickle.dumps(model.scorer()))
    assert isinstance(s, kuzat.Scorer) and s.score("salom").score == model.score("salom").score
    for r in (model.score("salom"), model.score_many(["salom", None])[0]):
        assert same(pickle.loads(pickle.dumps(r)), r)


# ---------------------------------------------------------------- reader

def test_read_every_format(model, tmp_path):
    recs = list(kuzat.read(os.path.join(GOLDEN, "posts.jsonl")))
    assert [r.id for r in recs][:2] == ["j1", "j2"]
    assert recs[0].text.startswith("Brothers, pledge") and recs[0].error is None
    assert recs[2].error and "posts.jsonl:3" in recs[2].error and recs[2].text == ""
    tsv = list(kuzat.read(os.path.join(GOLDEN, "posts.tsv")))
    assert tsv[0].id == "p1" and tsv[0].lang == "uz-Latn"
    ft = list(kuzat.read(os.path.join(GOLDEN, "posts.ft")))
    assert ft[0].labels == ["propaganda"] and ft[1].text == "Bugun havo yaxshi"
    srt = list(kuzat.read(os.path.join(GOLDEN, "talk.srt")))
    assert len(srt) == 1 and srt[0].segments[0][:2] == (1.0, 4.5)
    assert srt[0].segments[0][2] == "Ассалому алайкум, азиз томошабинлар."
    vtt = list(kuzat.read(os.path.join(GOLDEN, "talk.vtt")))
    whisper = list(kuzat.read(os.path.join(GOLDEN, "talk.json"), format="whisper"))
    assert vtt[0].segments and whisper[0].segments[1][:2] == (3.2, 7.0)
    lines = list(kuzat.read(os.path.join(GOLDEN, "chat.txt"), format="lines"))
    assert lines[0].id.endswith("chat.txt:1") and lines[0].line == 1
    # gzip, recognised by content whatever the name
    gz = tmp_path / "posts.jsonl.gz"
    with open(os.path.join(GOLDEN, "posts.jsonl"), "rb") as f:
        gz.write_bytes(gzip.compress(f.read()))
    assert [r.text for r in kuzat.read(str(gz))] == [r.text for r in recs]
    cut = list(kuzat.read(os.path.join(GOLDEN, "posts.jsonl"), max_chars=10))
    assert cut[0].truncated and len(cut[0].text.encode()) <= 10
    with pytest.raises(kuzat.Error) as e:
        list(kuzat.read(str(tmp_path / "none.tsv")))
    assert e.value.status == kuzat.EIO
    with pytest.raises(ValueError):
        kuzat.read("x", format="docx")


def test_records_score_as_the_cli_scores_them(model):
    path = os.path.join(GOLDEN, "talk.srt")
    r = model.score(next(kuzat.read(path)))
    cli = json.loads(subprocess.run([CLASSIFY, "-m", MODEL, path], capture_output=True,
                                    check=True).stdout)
    assert abs(r.score - cli["score"]) <= 5e-5 and r.lang == cli["lang"]
    assert isinstance(r.worst[0], float)  # seconds: scored as a transcript
    bad = [rec for rec in kuzat.read(os.path.join(GOLDEN, "posts.jsonl")) if rec.error][0]
    assert model.score(bad).lang is None  # a record that could not be read: NaN


# ---------------------------------------------------------------- the package

def test_versions_agree():
    with open(os.path.join(ROOT, "Makefile")) as f:
        made = re.search(r"^VERSION := (\S+)$", f.read(), re.M).group(1)
    assert kuzat.__version__ == kuzat.version() == made


def test_structs_are_kuzat_h(tmp_path):
    """The ctypes structs have the C structs' sizes (a field added to
    kuzat.h and not here would let the library write past them)."""
    cc = shutil.which("cc")
    if not cc:
        pytest.skip("no C compiler")
    pairs = {"kuzat_error": "Error_", "kuzat_text": "Text", "kuzat_segment": "Segment",
             "kuzat_score_params": "ScoreParams", "kuzat_window": "Window",
             "kuzat_word_part": "WordPart", "kuzat_result": "Result_",
             "kuzat_batch_out": "BatchOut", "kuzat_record": "Record_",
             "kuzat_feature_params": "FeatureParams", "kuzat_train_params": "TrainParams"}
    src = tmp_path / "sizes.c"
    src.write_text("#include <stdio.h>\n#include \"kuzat.h\"\nint main(void) {\n" + "".join(
        '  printf("%%zu\\n", sizeof(%s));\n' % c for c in pairs) + "  return 0;\n}\n")
    subprocess.run([cc, "-I", os.path.join(ROOT, "include"), "-o", str(tmp_path / "sizes"),
                    str(src)], check=True)
    sizes = subprocess.run([str(tmp_path / "sizes")], capture_output=True,
                           check=True).stdout.split()
    got = {c: int(s) for c, s in zip(pairs, sizes)}
    want = {c: ctypes.sizeof(getattr(kuzat._lib, py)) for c, py in pairs.items()}
    assert got == want


def run_python(code, env, cwd):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, env=env,
                          cwd=cwd)


def test_the_library_beside_the_package_comes_first(tmp_path):
    lib = os.path.realpath(kuzat.library_path)
    pkg = tmp_path / "kuzat"
    shutil.copytree(os.path.dirname(os.path.abspath(kuzat.__file__)), str(pkg),
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(lib, str(pkg / "libkuzat.so.1"))
    env = dict(os.environ, PYTHONPATH=str(tmp_path), KUZAT_LIBRARY="/nonexistent/libkuzat.so.1",
               PYTHONDONTWRITEBYTECODE="1")
    p = run_python("import kuzat; print(kuzat.library_path)", env, str(tmp_path))
    assert p.stdout.decode().strip() == str(pkg / "libkuzat.so.1"), p.stderr.decode()
    # without it, $KUZAT_LIBRARY must load: no silent fall-back to another
    os.unlink(str(pkg / "libkuzat.so.1"))
    p = run_python("import kuzat", env, str(tmp_path))
    assert p.returncode != 0 and b"KUZAT_LIBRARY" in p.stderr and b"/nonexistent" in p.stderr
    # then the default model: beside the package first
    env["KUZAT_LIBRARY"] = lib
    shutil.copyfile(MODEL, str(pkg / "default.kzm"))
    p = run_python("import kuzat; print(kuzat.Model.default().path)", env, str(tmp_path))
    assert p.stdout.decode().strip() == str(pkg / "default.kzm"), p.stderr.decode()
