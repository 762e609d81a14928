"""Tests of kuzat.Known, the index of known texts (run by `make test`
through tests/cli/test_python.sh). The index is the one kuzat-train --known
builds from tests/data/known, and one built here; both must find the same.
"""

import os
import subprocess
import threading

import pytest

import kuzat

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
BUILD = os.environ.get("KUZAT_BUILD", "build")
TRAIN = os.path.join(ROOT, BUILD, "kuzat-train")
DATA = os.path.join(ROOT, "tests", "data", "known")


def cyrl_repost():
    with open(os.path.join(DATA, "repost-cyrl.txt"), encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def index_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("known") / "k.kzk")
    subprocess.run([TRAIN, "-q", "--known", "-o", path,
                    os.path.join(DATA, "known.jsonl"), os.path.join(DATA, "more.tsv")],
                   check=True)
    return path


def test_load_and_match(index_file):
    k = kuzat.Known.load(index_file)
    assert len(k) == 3 and k.threshold == 0.5
    before = " ".join("Боғда олма ва ўрик %d." % i for i in range(30)) + " "
    text = before + cyrl_repost()
    hits = k.match(text)
    assert [h.id for h in hits] == ["statement-1"]
    h = hits[0]
    assert h.labels == ["channel-x", "announcement"]
    assert h.similarity > 0.8  # windows of the quote and its context
    # where: characters of a str, bytes of bytes; the same part of the text
    bh = k.match(text.encode())[0]
    assert 0 < h.start < len(before) < h.end <= len(text)
    assert text.encode()[bh.start:bh.end].decode() == text[h.start:h.end]
    assert bh.end - bh.start > h.end - h.start  # Cyrillic: two bytes a letter
    assert k.match("Nothing known about gardens and apples here.") == []
    assert k.match(cyrl_repost(), threshold=1.0)[0].id == "statement-1"


def test_built_here_matches_as_the_program(index_file):
    k = kuzat.Known.new()
    with open(os.path.join(DATA, "known.jsonl"), encoding="utf-8") as f:
        import json
        for line in f:
            o = json.loads(line)
            k.add(o["id"], o["text"], o["labels"])
    assert [h.id for h in k.match(cyrl_repost())] == ["statement-1"]
    with pytest.raises(kuzat.Error) as e:
        k.add("statement-1", "again", ())
    assert e.value.status == kuzat.EINVAL and "statement-1" in str(e.value)
    k.remove("statement-1")
    assert k.match(cyrl_repost()) == [] and len(k) == 1


def test_bad_index(tmp_path, index_file):
    with open(index_file, "rb") as f:
        data = f.read()
    with pytest.raises(kuzat.Error) as e:
        kuzat.Known.from_bytes(data[: len(data) // 2])
    assert e.value.status == kuzat.EFORMAT and "truncated" in str(e.value)
    assert len(kuzat.Known.from_bytes(data)) == 3


def test_threads(index_file):
    k = kuzat.Known.load(index_file)
    found = []

    def work():
        for _ in range(20):
            found.append(k.match(cyrl_repost())[0].id)

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert found == ["statement-1"] * 80
