#!/usr/bin/python3
"""Score JSON Lines files on a Dask cluster, the model loaded once per worker.

    examples/dask_score.py [--workers N] [-m MODEL] [--dataframe] FILE.jsonl... > out.jsonl

Starts a LocalCluster of N worker processes (default 2), loads the kuzat
model once in each (a worker plugin: the default model, or the bytes of
MODEL sent once to each worker), reads the files as a Dask bag of lines,
and writes one JSON Lines record per input record to standard output, in
input order:

    {"id":"p1","flagged":true,"score":0.9731,"markers":{...},"lang":"uz-Latn"}

as kuzat-classify --all-scores writes them for the same files (the same
ids, verdicts, scores and languages; probabilities to four decimals, every
marker). The workers read records with the library's reader, as the
program does: "text", or a transcript's "segments"; a record without an
"id" is FILE:LINE; one that cannot be read gets {"id": ..., "error": ...}.

--dataframe does the same through a Dask dataframe (one row per record,
scored a partition at a time with Model.score_frame()); the output is the
same. --blocksize splits files into partitions of about that many bytes
(default 1 MB), so one big file keeps every worker busy.

A worker that cannot import kuzat (not installed there) makes the script
fail at once with that worker's reason, instead of waiting for it. On a
real cluster, connect with --scheduler ADDRESS instead of starting one;
each worker needs the kuzat package (pip install ./python on each node).
Needs Debian's python3-dask and python3-distributed.
"""

import argparse
import json
import logging
import os
import sys
import time

# The client never imports kuzat: only the workers score, and a worker
# without it must fail with its own reason (see KuzatModel.setup).

PLUGIN = "kuzat-model"


def die(msg):
    print("dask_score: " + msg, file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- workers

def make_plugin(model_bytes):
    from distributed import WorkerPlugin

    class KuzatModel(WorkerPlugin):
        """The model, loaded once when a worker starts (or joins later).
        Defined here, in the script, so that it is pickled by value: a
        worker needs the kuzat package, not this file."""
        name = PLUGIN

        def __init__(self, data):
            self.data = data  # the model's bytes, or None: the default model
            self.model = None

        def setup(self, worker):
            try:
                import kuzat
            except ImportError as e:
                raise RuntimeError(
                    "worker %s cannot import kuzat (%s): install the package on every "
                    "worker (pip install ./python), or give the workers its PYTHONPATH"
                    % (worker.address, e)) from None
            self.model = kuzat.Model.from_bytes(self.data) if self.data \
                else kuzat.Model.default()

    return KuzatModel(model_bytes)


def worker_model():
    from distributed import get_worker
    w = get_worker()
    plugin = w.plugins.get(PLUGIN)
    if plugin is None or plugin.model is None:
        raise RuntimeError("worker %s has no kuzat model: the plugin failed there "
                           "(see the worker's log)" % w.address)
    return plugin.model


def parse_partition(lines, meta):
    """The records of one block of a file, read by the library's own reader
    (as kuzat-classify reads them: the same ids, errors, transcripts and
    --max-chars cut): [(id, text, segments, error)]. meta is [(file name,
    the number of the block's first line)]."""
    import tempfile
    import kuzat
    name, first = list(meta)[0]
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".jsonl") as tmp:
        tmp.writelines(lines)
        tmp.flush()
        out = []
        for rec in kuzat.read(tmp.name, format="jsonl"):
            # the block's line numbers and name, back to the file's
            where, real = "%s:%d" % (tmp.name, rec.line), "%s:%d" % (name, first + rec.line - 1)
            rid = real if rec.id == where else rec.id
            error = rec.error.replace(where, real, 1) if rec.error else None
            out.append((rid, None if error or rec.segments is not None else rec.text,
                        rec.segments, error))
        return out


def formatter(names):
    """A function (id, flagged, score, probabilities, lang) -> the JSON
    line, numbers with four decimals as kuzat-classify prints them."""
    markers = ",".join("%s:%%.4f" % json.dumps(k) for k in names)
    line = '{"id":%s,"flagged":%s,"score":%.4f,"markers":{' + markers + '},"lang":%s}'

    def fmt(rid, flagged, score, probs, lang):
        return line % ((json.dumps(rid, ensure_ascii=False), "true" if flagged else "false",
                        score) + tuple(probs) + (json.dumps(lang),))
    return fmt


def error_line(rid, error):
    return json.dumps({"id": rid, "error": error}, ensure_ascii=False)


def score_records(recs, threads):
    """JSON lines for parsed records: plain texts in one score_many() call,
    transcripts one by one."""
    model = worker_model()
    names = model.marker_names
    fmt = formatter(names)
    cols = model.score_many([r[1] for r in recs], threads=threads, output="numpy")
    probs = list(zip(*(cols[k].tolist() for k in names)))
    out = []
    for i, (rid, text, segs, error) in enumerate(recs):
        if error is not None:
            out.append(error_line(rid, error))
        elif segs is not None:
            r = model.score_segments(segs)
            out.append(fmt(rid, r.flagged, r.score, [r.markers[k] for k in names], r.lang))
        else:
            out.append(fmt(rid, cols["flagged"][i], cols["score"][i], probs[i],
                           cols["lang"][i]))
    return out


def score_frame_partition(df, threads):
    """A dataframe partition (id, text, segments, error) -> its JSON lines."""
    import pandas as pd
    model = worker_model()
    names = model.marker_names
    fmt = formatter(names)
    scored = model.score_frame(df, column="text", threads=threads)
    lines = []
    for row in scored.to_dict("records"):
        if isinstance(row["error"], str):
            lines.append(error_line(row["id"], row["error"]))
        elif isinstance(row["segments"], list):
            r = model.score_segments(row["segments"])
            lines.append(fmt(row["id"], r.flagged, r.score, [r.markers[k] for k in names],
                             r.lang))
        else:
            lines.append(fmt(row["id"], row["flagged"], row["score"], [row[k] for k in names],
                             row["lang"]))
    return pd.Series(lines, dtype=object)


# ---------------------------------------------------------------- client

def line_blocks(files, blocksize):
    """A bag of the files' lines, and a bag, partition for partition, of
    (file name, number of the partition's first line): numbering lines
    needs every earlier block's count, so they are counted first (a read,
    no scoring)."""
    import dask
    import dask.bag as db
    bags = [db.read_text(f, blocksize=blocksize) for f in files]
    counts = dask.compute(*[b.map_partitions(lambda p: [sum(1 for _ in p)]) for b in bags])
    meta = []
    for name, per_block in zip(files, counts):
        first = 1
        for c in per_block:
            meta.append((name, first))
            first += c
    lines = db.concat(bags)
    return lines, db.from_sequence(meta, npartitions=len(meta))


def scored_partitions(args):
    """Delayed objects, one per partition, in input order, each a list (or
    Series) of JSON lines."""
    lines, meta = line_blocks(args.files, args.blocksize)
    recs = lines.map_partitions(parse_partition, meta)
    if not args.dataframe:
        return recs.map_partitions(score_records, args.threads).to_delayed()
    import pandas as pd
    rows = recs.map(lambda r: {"id": r[0], "text": r[1], "segments": r[2], "error": r[3]})
    ddf = rows.to_dataframe(meta=pd.DataFrame({c: pd.Series(dtype=object)
                                               for c in ("id", "text", "segments", "error")}))
    return ddf.map_partitions(score_frame_partition, args.threads,
                              meta=pd.Series(dtype=object)).to_delayed()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE.jsonl")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("-m", "--model", help="model file (default: the default model)")
    ap.add_argument("--dataframe", action="store_true",
                    help="through a Dask dataframe instead of a bag")
    ap.add_argument("--blocksize", default="1MB", help="bytes per partition (default 1MB)")
    ap.add_argument("--threads", type=int, default=1,
                    help="scoring threads in each worker (default 1)")
    ap.add_argument("--scheduler", help="a running scheduler's address, instead of a "
                    "LocalCluster")
    ap.add_argument("--timing", action="store_true",
                    help="on stderr: the cluster's start-up, and the scoring after it")
    args = ap.parse_args()
    for f in args.files:
        if not os.path.isfile(f):
            die("%s: no such file" % f)
    data = None
    if args.model:
        try:
            with open(args.model, "rb") as f:
                data = f.read()
        except OSError as e:
            die("%s: %s" % (args.model, e.strerror))
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as e:
        die("%s (Debian: apt-get install python3-dask python3-distributed)" % e)

    t0 = time.monotonic()
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        client = Client(cluster)
    try:
        client.register_worker_plugin(make_plugin(data), name=PLUGIN)
    except Exception as e:  # a worker without kuzat, a bad model
        die(str(e))
    t1 = time.monotonic()
    out, n = sys.stdout, 0
    futures = client.compute(scored_partitions(args))
    for fut in futures:  # in input order, while later partitions still run
        for line in fut.result():
            out.write(line + "\n")
            n += 1
    out.flush()
    t2 = time.monotonic()
    if args.timing:
        print("dask_score: %d records on %d workers: %.2f s to start the cluster and "
              "load the model, %.2f s to score (%.0f records/s)"
              % (n, len(client.scheduler_info()["workers"]), t1 - t0, t2 - t1,
                 n / max(t2 - t1, 1e-9)), file=sys.stderr)
    client.close()


if __name__ == "__main__":
    main()
