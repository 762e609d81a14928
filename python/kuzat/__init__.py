"""kuzat: score text for militant-propaganda markers (Python binding).

A ctypes binding over libkuzat. It scores Uzbek (Latin and Cyrillic),
Tajik, Kyrgyz, Russian and English text with a kuzat model, exactly as
kuzat-classify does:

    import kuzat
    model = kuzat.Model.default()            # or Model.from_file(path),
                                             # Model.from_bytes(blob)
    r = model.score("Birodarlar, hijratga shoshiling")
    r.score, r.flagged, r.lang, r.markers    # 0.998, True, 'uz-Latn', {...}

    # many texts in one call, on two threads, without the GIL:
    results = model.score_many(texts, threads=2)          # a list of Result
    cols = model.score_many(texts, output="numpy")        # dict of arrays
    df = model.score_frame(df, column="text", threads=2)  # pandas columns

    # a transcript: (start, end, text) segments, scored in windows
    r = model.score_segments([(0.0, 2.5, "..."), (2.5, 5.0, "...")])

    # records of any format the library reads (gzip too), with timestamps
    for rec in kuzat.read("talk.srt"):
        model.score(rec)

Missing texts (None, NaN, pandas.NA) score NaN; anything else that is not
text raises TypeError naming its position.

Threads: Model methods may be called from any number of threads at once.
Each thread gets its own scorer over the one shared read-only model, and
ctypes releases the GIL during library calls, so threads score in
parallel. score_many(threads=N) scores a batch on N threads inside the
library. (A Scorer object is for one thread at a time.)

Engines: a Model pickles as its model's bytes and loads again on the other
side (once per process for the same model), so Dask, Spark or
multiprocessing can ship it; loading it once per worker is cheaper still
(see examples/dask_score.py).

Errors raise kuzat.Error, with .status (a KUZAT_E* code, e.g.
kuzat.EFORMAT) and the library's message. Where the library comes from:
see kuzat/_lib.py (beside this file first, then $KUZAT_LIBRARY, then the
system's).
"""

from __future__ import annotations

import ctypes as C
import os
import sys
import tempfile
import threading
import weakref
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from . import _lib
from ._lib import (OK, ENOMEM, EIO, EFORMAT, EVERSION, EUTF8, EINVAL, EICU,  # noqa: F401
                   ERANGE, ENOTSUP, ENOTTEXT)

__version__ = "0.2.0"

__all__ = ["Error", "Model", "Scorer", "Result", "Record", "TrainSet", "Known",
           "KnownHit", "normalise", "read", "version", "library_path", "__version__"]

KERNEL_LINEAR, KERNEL_RBF = 0, 2

# The marker that, when a model has it, gives the verdict (kuzat.h's
# KUZAT_DECISION_MARKER).
DECISION_MARKER = "propaganda"

# The library's file: see kuzat/_lib.py for where it is looked for.
library_path: str = _lib.library_path

# Texts per call into the library in score_many(): bounds the memory of
# the encoded copies, not the speed.
BATCH = 65536

_lib_ = _lib.lib
_P = C.c_void_p

Text = Union[str, bytes]


class Error(Exception):
    """A libkuzat call failed: .status is its KUZAT_E* code."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def version() -> str:
    """The library's version string, e.g. '0.2.0'."""
    return _lib_.kuzat_version().decode()


def _check(rc, err):
    if rc != OK:
        raise Error(rc, err.msg.decode("utf-8", "replace")
                    or _lib_.kuzat_strstatus(rc).decode())


def _bytes(text):
    if isinstance(text, bytes):
        return text
    return text.encode("utf-8", "surrogatepass")


def _chars(b, off):
    """The str index of byte offset `off` of UTF-8 bytes `b`."""
    return len(b[:off].decode("utf-8", "replace"))


def _is_missing(t) -> bool:
    """None, a float NaN (numpy's too), pandas.NA or NaT."""
    if t is None:
        return True
    if isinstance(t, float):
        return t != t
    pd = sys.modules.get("pandas")
    if pd is not None and (t is pd.NA or t is pd.NaT):
        return True
    np = sys.modules.get("numpy")
    return np is not None and isinstance(t, np.floating) and bool(t != t)


# ---------------------------------------------------------------- normaliser

_local = threading.local()


def normalise(text: Text, translit: bool = True) -> Tuple[str, str]:
    """(normalised text, language code) of `text`, as the model sees it."""
    n = getattr(_local, "normaliser", None)
    if n is None:
        h, err = _P(), _lib.Error_()
        _check(_lib_.kuzat_normaliser_new(None, C.byref(h), C.byref(err)), err)
        _local.normaliser = n = _lib.Owned(h, _lib_.kuzat_normaliser_free)
    b, t, err = _bytes(text), _lib.Text(), _lib.Error_()
    _check(_lib_.kuzat_normalise(n.p, b, len(b), 0 if translit else 2,
                                 C.byref(t), C.byref(err)), err)
    return (C.string_at(t.utf8, t.len).decode("utf-8"),
            _lib_.kuzat_lang_name(t.lang).decode())


# ---------------------------------------------------------------- results

class Result:
    """What scoring found.

    score      the verdict's probability (0..1): the "propaganda" marker's in
               a model that has one, else the highest of any marker; NaN
               for a missing text
    flagged    the verdict: "propaganda" reached its threshold (in a model
               without it: some marker reached its own)
    lang       the language of the whole text ('uz-Latn', 'tg', ...); None
               for a missing text
    markers    {marker: probability} for every marker
    flags      {marker: True/False}
    worst      (start, end) of the window that gave the score: seconds for
               a transcript, str indices for a text (None from score_many)
    segments   transcripts: [(start, end, probability of the verdict's
               marker)] for every segment on its own
    explain    with explain=K: {marker: [(word, weight, (i, j))]}, the K
               words that weigh most, with their place in the text (str
               indices); weights are parts of the decision value
    """

    __slots__ = ("score", "flagged", "lang", "worst", "segments", "explain",
                 "_markers", "_flags", "_batch", "_row")
    _FIELDS = ("score", "flagged", "lang", "markers", "flags", "worst", "segments",
               "explain")

    def __init__(self, score: float, flagged: bool, lang: Optional[str],
                 markers: Dict[str, float], flags: Dict[str, bool],
                 worst: Optional[Tuple[float, float]] = None,
                 segments: Optional[List[Tuple[float, float, float]]] = None,
                 explain: Optional[Dict[str, List[Tuple[str, float, Tuple[int, int]]]]] = None):
        self.score, self.flagged, self.lang = score, flagged, lang
        self._markers, self._flags, self.worst = markers, flags, worst
        self.segments = segments if segments is not None else []
        self.explain = explain if explain is not None else {}
        self._batch = None

    # score_many() makes its results lazily: the per-marker dicts are built
    # from the batch's arrays when first read (most callers never do).
    @property
    def markers(self) -> Dict[str, float]:
        if self._markers is None:
            names, prob = self._batch[0], self._batch[1]
            self._markers = dict(zip(names, prob[self._row:self._row + len(names)]))
        return self._markers

    @property
    def flags(self) -> Dict[str, bool]:
        if self._flags is None:
            names, flag = self._batch[0], self._batch[2]
            self._flags = dict(zip(names, map(bool, flag[self._row:self._row + len(names)])))
        return self._flags

    def to_dict(self) -> Dict[str, Any]:
        """The result as a dict of plain values (JSON-ready but for NaN)."""
        return {k: getattr(self, k) for k in self._FIELDS}

    def __eq__(self, other):
        if not isinstance(other, Result):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __getstate__(self):
        return self.to_dict()

    def __setstate__(self, d):
        self.__init__(**d)

    def __repr__(self):
        return "Result(score=%.4f, flagged=%r, lang=%r, markers=%r)" % (
            self.score, self.flagged, self.lang, self.markers)


def _batch_result(score, flagged, lang, batch, row, new=object.__new__):
    r = new(Result)
    r.score, r.flagged, r.lang, r.worst, r.segments, r.explain = \
        score, flagged, lang, None, [], {}
    r._markers = r._flags = None
    r._batch, r._row = batch, row
    return r


def _missing_result(names):
    nan = float("nan")
    return Result(nan, False, None, dict.fromkeys(names, nan), dict.fromkeys(names, False))


class Record:
    """One record of an input file (kuzat.read()).

    id         its id: the input's own, else "FILE:LINE" or "FILE"
    text       its text (a transcript's segments joined by newlines)
    line       its first line in the input (1-based)
    error      None, or why it could not be read ("FILE:LINE: ..."); then
               text is empty
    labels     its labels (labelled inputs), lang and group as given
    segments   a transcript's [(start, end, text)] in seconds, else None
    truncated  the text was cut at max_chars
    """

    __slots__ = ("id", "text", "line", "error", "labels", "lang", "group",
                 "segments", "truncated")

    def __init__(self, id: str = "", text: str = "", line: int = 0,
                 error: Optional[str] = None, labels: Optional[List[str]] = None,
                 lang: str = "", group: str = "",
                 segments: Optional[List[Tuple[float, float, str]]] = None,
                 truncated: bool = False):
        self.id, self.text, self.line, self.error = id, text, line, error
        self.labels = labels if labels is not None else []
        self.lang, self.group, self.segments, self.truncated = lang, group, segments, truncated

    def to_dict(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return "Record(id=%r, text=%r%s)" % (
            self.id, self.text[:40], ", error=%r" % self.error if self.error else "")


def _str_at(p, n):
    return C.string_at(p, n).decode("utf-8", "replace") if n else ""


def read(path: Union[str, os.PathLike], format: str = "auto",
         max_chars: Optional[int] = _lib.DEFAULT_MAX_CHARS) -> Iterator[Record]:
    """The records of a file, as kuzat-classify reads them: `format` is
    "auto" (from the name, as the program decides), "text", "lines",
    "tsv", "jsonl", "fasttext", "srt", "vtt" or "whisper"; gzip is
    recognised by content; "-" is standard input. A record that cannot be
    read comes with .error set (reading goes on), a blank line of JSON
    Lines included, so that record N answers line N. max_chars: cut each
    text at this many bytes (None: no limit)."""
    fmt = _lib_.kuzat_format_from_name(format.encode())
    if fmt < 0:
        raise ValueError("kuzat.read: unknown format %r" % format)
    h, err = _P(), _lib.Error_()
    _check(_lib_.kuzat_reader_open(os.fsencode(path), fmt, None, None, C.byref(h),
                                   C.byref(err)), err)
    r = _lib.Owned(h, _lib_.kuzat_reader_free)
    _lib_.kuzat_reader_set_flags(r.p, _lib.READ_BLANK_RECORDS)
    if max_chars:
        _lib_.kuzat_reader_set_limit(r.p, max_chars)
    return _records(r)  # the file is open now: a bad path fails here


def _records(r: "_lib.Owned") -> Iterator[Record]:
    rec, err = _lib.Record_(), _lib.Error_()
    while True:
        rc = _lib_.kuzat_reader_next(r.p, C.byref(rec), C.byref(err))
        if rc == 0:
            return
        if rc < 0:
            _check(rc, err)
        n = rec.text_len
        text = C.string_at(rec.text, n) if n else b""
        segments, nseg = None, rec.segments_len
        if nseg:
            segments = [(s.start, s.end, text[s.off:s.off + s.len].decode("utf-8", "replace"))
                        for s in rec.segments[:nseg]]
        labels, error = _str_at(rec.labels, rec.labels_len), rec.error
        yield Record(_str_at(rec.id, rec.id_len), text.decode("utf-8", "replace"), rec.line,
                     error.decode("utf-8", "replace") if error else None,
                     labels.split(",") if labels else [], _str_at(rec.lang, rec.lang_len),
                     _str_at(rec.group, rec.group_len), segments, rec.full_len > n)


# ---------------------------------------------------------------- model

# Models unpickled in this process, by id: a model shipped with every task
# of an engine is loaded once per process, not once per task.
_unpickled: "weakref.WeakValueDictionary[str, Model]" = weakref.WeakValueDictionary()
_unpickled_lock = threading.Lock()


def _model_from_pickle(model_id: str, data: bytes) -> "Model":
    """Model.__reduce__'s reconstructor (module level, so pickle finds it)."""
    with _unpickled_lock:
        m = _unpickled.get(model_id)
        if m is None:
            m = Model.from_bytes(data)
            _unpickled[model_id] = m
        return m


class Model:
    """A trained kuzat model: read-only, shared by every thread."""

    def __init__(self, handle, data: Optional[bytes] = None, path: Optional[str] = None):
        self._h = _lib.Owned(handle, _lib_.kuzat_model_free)
        self._local = threading.local()
        self._pool: List[Scorer] = []  # idle scorers for score_many()
        self._pool_lock = threading.Lock()
        self._data = data
        self.path = path
        n = _lib_.kuzat_model_markers(handle)
        self.marker_names: List[str] = [_lib_.kuzat_model_marker(handle, i).decode()
                                        for i in range(n)]
        self.thresholds: List[float] = [_lib_.kuzat_model_threshold(handle, i)
                                        for i in range(n)]
        self.id: str = _lib_.kuzat_model_id(handle).decode()
        self.decision_marker = self.marker_names.index(DECISION_MARKER) \
            if DECISION_MARKER in self.marker_names else None

    def __repr__(self):
        return "kuzat.Model(id=%r, markers=%r)" % (self.id, self.marker_names)

    # -- loading

    @classmethod
    def from_bytes(cls, data: bytes) -> "Model":
        """Load a model from the bytes of a .kzm file."""
        data = bytes(data)
        h, err = _P(), _lib.Error_()
        _check(_lib_.kuzat_model_load_mem(data, len(data), None, C.byref(h),
                                          C.byref(err)), err)
        return cls(h, data=data)

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike]) -> "Model":
        """Load a model from a .kzm file."""
        h, err = _P(), _lib.Error_()
        _check(_lib_.kuzat_model_load_file(os.fsencode(path), None, C.byref(h),
                                           C.byref(err)), err)
        return cls(h, path=os.fspath(path))

    @classmethod
    def default(cls) -> "Model":
        """The default model that comes with kuzat: the package's own copy
        (pip), else the installed one (make install: share/kuzat), else the
        source checkout's models/default.kzm."""
        tried = _lib.default_model_candidates()
        for path in tried:
            if os.path.exists(path):
                return cls.from_file(path)
        raise Error(EIO, "kuzat: no default model (looked in %s)" % ", ".join(tried))

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Write the model to `path` atomically."""
        err = _lib.Error_()
        _check(_lib_.kuzat_model_save(self._h.p, os.fsencode(path), C.byref(err)), err)

    def to_bytes(self) -> bytes:
        """The model as the bytes of a .kzm file (kept once made)."""
        if self._data is None:
            with tempfile.TemporaryDirectory(prefix="kuzat-") as d:
                path = os.path.join(d, "model.kzm")
                self.save(path)
                with open(path, "rb") as f:
                    self._data = f.read()
        return self._data

    def __reduce__(self):
        return (_model_from_pickle, (self.id, self.to_bytes()))

    # -- scoring one text

    def scorer(self) -> "Scorer":
        """A new Scorer: for one thread at a time."""
        return Scorer(self)

    def _thread_scorer(self):
        s = getattr(self._local, "scorer", None)
        if s is None:
            s = self._local.scorer = Scorer(self)
        return s

    def score(self, text, **params):
        """Score a text (str or UTF-8 bytes) with this thread's scorer; see
        Scorer.score(). A Record is scored as kuzat-classify scores it (a
        transcript by its segments). None or NaN gives a Result of NaN. A
        list, tuple, numpy array or pandas Series is score_many(text)."""
        if isinstance(text, (str, bytes, Record)) or _is_missing(text):
            return self._thread_scorer().score(text, **params)
        if isinstance(text, (list, tuple, Iterator)) or \
                (hasattr(text, "tolist") and hasattr(text, "__len__")):
            return self.score_many(text, **params)
        raise TypeError("kuzat: cannot score a %s: give a str, bytes, None, or a "
                        "list, tuple, iterator, array or Series of them"
                        % type(text).__name__)

    def score_segments(self, segments, **params) -> Result:
        """Score a transcript with this thread's scorer. See
        Scorer.score_segments()."""
        return self._thread_scorer().score_segments(segments, **params)

    # -- scoring many texts

    def _take_scorers(self, n):
        with self._pool_lock:
            got = [self._pool.pop() for _ in range(min(n, len(self._pool)))]
        while len(got) < n:
            got.append(Scorer(self))
        return got

    def _give_back(self, scorers):
        with self._pool_lock:
            self._pool.extend(scorers)

    def score_many(self, texts: Iterable[Any], threads: int = 1, output: str = "list",
                   window_bytes: Optional[int] = None, threshold: Optional[float] = None):
        """Score many texts, in order, with one call into the library per
        batch of texts: the GIL is released for the whole batch, and with
        threads=N (0: every CPU) the library scores it on N threads.

        texts: any iterable of str (or UTF-8 bytes); None, NaN and
        pandas.NA are missing texts and score NaN (flagged False, lang
        None); anything else raises TypeError naming its position.

        output: "list" (default): a list of Result (worst is None);
        "numpy": a dict of numpy arrays, "score" (float64), "flagged"
        (bool), one float64 array per marker, "lang" (object: str or None);
        "pandas": a DataFrame of those columns, on the index of `texts` when
        it is a Series. window_bytes and threshold as in Scorer.score()."""
        if output not in ("list", "numpy", "pandas"):
            raise ValueError("kuzat: output must be 'list', 'numpy' or 'pandas', not %r"
                             % (output,))
        index = _pandas_index(texts) if output == "pandas" else None
        bufs, lens = _encode_all(texts)
        threads = _threads(threads)
        params = _params(None, window_bytes, 0, threshold)
        if output == "list":
            return self._score_list(bufs, lens, threads, params)
        np = _need("numpy", output)
        cols = self._score_arrays(np, bufs, lens, threads, params)
        if output == "numpy":
            return cols
        pd = _need("pandas", output)
        return pd.DataFrame(cols, index=index)

    def score_frame(self, df, column: str = "text", threads: int = 1, prefix: str = "",
                    **params):
        """A copy of the pandas DataFrame `df` with columns added for its
        `column` of texts: score, flagged, one per marker (its
        probability) and lang, each name preceded by `prefix`. Missing
        texts score NaN."""
        scores = self.score_many(df[column], threads=threads, output="pandas", **params)
        # by position: the rows are df's, in order (its index may repeat labels)
        return df.assign(**{prefix + c: scores[c].to_numpy() for c in scores.columns})

    def _call_many(self, bufs, lens, lo, hi, threads, params, out):
        n = hi - lo
        texts = (C.c_char_p * n)(*bufs[lo:hi])
        sizes = (C.c_size_t * n)(*lens[lo:hi])
        # a batch too small to share gets one thread
        scorers = self._take_scorers(max(1, min(threads, n // 16)))
        try:
            handles = (_P * len(scorers))(*[s._h.p for s in scorers])
            err = _lib.Error_()
            _check(_lib_.kuzat_score_many(handles, len(scorers), texts, sizes, n,
                                          C.byref(params), C.byref(out), C.byref(err)), err)
        finally:
            self._give_back(scorers)

    def _score_list(self, bufs, lens, threads, params):
        names, m = self.marker_names, len(self.marker_names)
        langs = _lib.LANG_NAMES
        results: List[Result] = []
        put = results.append
        for lo in range(0, len(bufs), BATCH):
            hi = min(len(bufs), lo + BATCH)
            n = hi - lo
            score, flagged, lang = (C.c_double * n)(), (C.c_int * n)(), (C.c_int * n)()
            prob, mflag = (C.c_double * (n * m))(), (C.c_int * (n * m))()
            out = _lib.BatchOut(score, flagged, lang, prob, mflag)
            self._call_many(bufs, lens, lo, hi, threads, params, out)
            batch = (names, prob[:], mflag[:])
            row = 0
            for s, f, lg in zip(score[:], flagged[:], lang[:]):
                if lg < 0:
                    put(_missing_result(names))
                else:
                    put(_batch_result(s, f != 0, langs[lg], batch, row))
                row += m
        return results

    def _score_arrays(self, np, bufs, lens, threads, params):
        n, m = len(bufs), len(self.marker_names)
        score = np.empty(n, dtype=np.float64)
        flagged = np.empty(n, dtype=np.intc)
        lang = np.empty(n, dtype=np.intc)
        prob = np.empty((n, m), dtype=np.float64)
        dp, ip = C.POINTER(C.c_double), C.POINTER(C.c_int)
        for lo in range(0, n, BATCH):
            hi = min(n, lo + BATCH)
            out = _lib.BatchOut(score[lo:].ctypes.data_as(dp), flagged[lo:].ctypes.data_as(ip),
                                lang[lo:].ctypes.data_as(ip), prob[lo:].ctypes.data_as(dp),
                                None)
            self._call_many(bufs, lens, lo, hi, threads, params, out)
        names = np.array(_lib.LANG_NAMES + [None], dtype=object)
        cols = {"score": score, "flagged": flagged != 0}
        for k, name in enumerate(self.marker_names):
            cols[name] = prob[:, k].copy()
        cols["lang"] = names[lang]  # -1, a missing text: the last, None
        return cols


def _need(module, output):
    try:
        return __import__(module)
    except ImportError:
        raise ImportError("kuzat: output=%r needs %s (Debian: apt-get install python3-%s)"
                          % (output, module, module)) from None


def _threads(threads):
    if threads is None or threads == 0:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else (os.cpu_count() or 1)
    if not isinstance(threads, int) or threads < 0:
        raise ValueError("kuzat: threads must be a positive integer (0: every CPU), not %r"
                         % (threads,))
    return threads


def _pandas_index(texts):
    """The index of a pandas Series (or Index), else None."""
    return getattr(texts, "index", None) if hasattr(texts, "iloc") else None


def _encode_all(texts):
    """([UTF-8 bytes or None], [lengths]) of a batch; TypeError naming the
    position of anything that is not text."""
    labels = _pandas_index(texts)
    if hasattr(texts, "tolist") and not isinstance(texts, (str, bytes)):
        texts = texts.tolist()  # Series, ndarray: Python objects in one C loop
    elif isinstance(texts, (str, bytes)):
        raise TypeError("kuzat: score_many takes a sequence of texts, not one %s: "
                        "use score()" % type(texts).__name__)
    bufs: List[Optional[bytes]] = []
    lens: List[int] = []
    put, size = bufs.append, lens.append
    for i, t in enumerate(texts):
        if type(t) is str:
            b = t.encode("utf-8", "surrogatepass")
        elif isinstance(t, str):
            b = str(t).encode("utf-8", "surrogatepass")
        elif isinstance(t, (bytes, bytearray, memoryview)):
            b = bytes(t)
        elif _is_missing(t):
            put(None)
            size(0)
            continue
        else:
            where = "texts[%d]" % i
            if labels is not None:
                where += " (index %r)" % (labels[i],)
            raise TypeError("kuzat: %s is %s, not text (str, bytes, or None/NaN for "
                            "a missing one)" % (where, type(t).__name__))
        put(b)
        size(len(b))
    return bufs, lens


def _params(window, window_bytes, explain, threshold):
    p = _lib.ScoreParams()
    _lib_.kuzat_score_params_default(C.byref(p))
    if window is not None:
        p.window = window
    if window_bytes is not None:
        p.window_bytes = window_bytes
    p.explain = explain
    if threshold is not None:
        p.threshold = threshold
    return p


class Scorer:
    """Scores texts with a model. Use one per thread (Model.score() does)."""

    def __init__(self, model: Model):
        self.model = model  # the model must outlive the scorer
        h, err = _P(), _lib.Error_()
        _check(_lib_.kuzat_scorer_new(model._h.p, None, C.byref(h), C.byref(err)), err)
        self._h = _lib.Owned(h, _lib_.kuzat_scorer_free)

    def __reduce__(self):  # a scorer is one thread's: ship its model
        return (Scorer, (self.model,))

    def score(self, text, window_bytes: Optional[int] = None, explain: int = 0,
              threshold: Optional[float] = None) -> Result:
        """Score one text (str or UTF-8 bytes; None or NaN: a Result of
        NaN; a Record: its text, or its segments for a transcript, NaN when
        it could not be read). A text
        longer than window_bytes (default: the library's,
        kuzat_score_params_default()) is scored in windows overlapping by
        half, and its score is the worst window's. threshold: flag a marker
        at or above this probability (default: each marker's own from the
        model)."""
        if isinstance(text, Record):
            if text.error:  # it could not be read: nothing to score
                return _missing_result(self.model.marker_names)
            if text.segments is not None:
                return self.score_segments(text.segments, explain=explain,
                                           threshold=threshold)
            text = text.text
        elif not isinstance(text, (str, bytes)):
            if _is_missing(text):
                return _missing_result(self.model.marker_names)
            raise TypeError("kuzat: cannot score a %s: give a str, bytes or None"
                            % type(text).__name__)
        return self._score(_bytes(text), None, None, window_bytes, explain, threshold)

    def score_segments(self, segments: Sequence[Tuple[float, float, Text]],
                       window: Optional[int] = None, explain: int = 0,
                       threshold: Optional[float] = None) -> Result:
        """Score a transcript: `segments` is a list of (start, end, text),
        times in seconds. Its score is the worst window: any run of
        `window` consecutive segments (default: the library's), or any one
        segment alone."""
        parts, segs, off = [], (_lib.Segment * max(1, len(segments)))(), 0
        for i, (start, end, text) in enumerate(segments):
            b = _bytes(text)
            segs[i] = _lib.Segment(float(start), float(end), off, len(b))
            parts.append(b)
            off += len(b) + 1
        return self._score(b"\n".join(parts), (segs, len(segments), segments),
                           window, None, explain, threshold)

    def _score(self, b, segs, window, window_bytes, explain, threshold):
        p = _params(window, window_bytes, explain, threshold)
        r, err = C.POINTER(_lib.Result_)(), _lib.Error_()
        arr, nsegs = (segs[0], segs[1]) if segs else (None, 0)
        _check(_lib_.kuzat_score(self._h.p, b, len(b), arr, nsegs, C.byref(p),
                                 C.byref(r), C.byref(err)), err)
        return self._result(r.contents, b, segs)

    def _result(self, r, b, segs):
        names = self.model.marker_names
        m = r.markers
        # the verdict's marker: "propaganda" when the model has it
        d = self.model.decision_marker or 0
        best = r.window[r.best[d]] if m else r.window[0]
        if segs:
            given = segs[2]
            worst = (given[best.first][0], given[best.last][1]) if given else (0, 0)
            segments = [(s[0], s[1], r.segment_prob[i * m + d] if m else 0.0)
                        for i, s in enumerate(given)]
        else:
            worst = (_chars(b, best.src_start), _chars(b, best.src_end))
            segments = []
        explain = {}
        if r.explain_words:
            for k in range(m):
                words = []
                for i in range(r.explain_words_len[k]):
                    w = r.explain_words[k][i]
                    words.append((C.string_at(w.word, w.len).decode("utf-8"),
                                  w.value,
                                  (_chars(b, w.src_start), _chars(b, w.src_end))))
                explain[names[k]] = words
        return Result(r.score, bool(r.any_flagged), _lib_.kuzat_lang_name(r.lang).decode(),
                      {names[k]: r.prob[k] for k in range(m)},
                      {names[k]: bool(r.flagged[k]) for k in range(m)},
                      worst, segments, explain)


# ---------------------------------------------------------------- training

class TrainSet:
    """Labelled documents in memory, to train a Model from."""

    def __init__(self):
        h, err = _P(), _lib.Error_()
        _check(_lib_.kuzat_trainset_new(None, None, C.byref(h), C.byref(err)), err)
        self._h = _lib.Owned(h, _lib_.kuzat_trainset_free)

    def add(self, text: Text, labels: Sequence[str] = (), lang: str = "",
            group: Text = "") -> None:
        """Add a document. labels: marker names (none: a negative);
        lang: a language code, or '' to identify it; group: the account
        or source, never split across cross-validation folds."""
        b, lab = _bytes(text), ",".join(labels).encode()
        lg, gr, err = lang.encode(), _bytes(group), _lib.Error_()
        _check(_lib_.kuzat_trainset_add(self._h.p, b, len(b), lab, len(lab), lg,
                                        len(lg), gr, len(gr), C.byref(err)), err)

    def __len__(self):
        return _lib_.kuzat_trainset_rows(self._h.p)

    def train(self, grid: Optional[Sequence[float]] = None, folds: int = 5, seed: int = 0,
              threads: int = 1, negatives: Optional[Sequence[str]] = None,
              target_precision: float = 0.0, kernel: int = KERNEL_LINEAR) -> Model:
        """Train one calibrated SVM per marker; returns a Model."""
        p = _lib.TrainParams()
        _lib_.kuzat_train_params_default(C.byref(p))
        keep = None
        if grid:
            keep = (C.c_double * len(grid))(*grid)
            p.grid, p.grid_len = C.cast(keep, C.POINTER(C.c_double)), len(grid)
        p.folds, p.seed, p.threads, p.kernel = folds, seed, threads, kernel
        p.target_precision = target_precision
        if negatives is not None:
            p.negatives = ",".join(negatives).encode()
        h, err = _P(), _lib.Error_()
        _check(_lib_.kuzat_train(self._h.p, C.byref(p), C.byref(h), None,
                                 C.byref(err)), err)
        return Model(h)


# ---------------------------------------------------------------- known texts

class KnownHit:
    """A known document found in a text (kuzat_known_hit): its id, labels,
    similarity (the share of it found, 0..1) and where: [start, end) in
    characters of a str text, in bytes of a bytes one."""

    __slots__ = ("id", "labels", "similarity", "start", "end")

    def __init__(self, id: str, labels: List[str], similarity: float, start: int, end: int):
        self.id, self.labels, self.similarity = id, labels, similarity
        self.start, self.end = start, end

    def to_dict(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __eq__(self, other):
        return isinstance(other, KnownHit) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return "kuzat.KnownHit(id=%r, labels=%r, similarity=%.4f, start=%d, end=%d)" % (
            self.id, self.labels, self.similarity, self.start, self.end)


class Known:
    """An index of known texts (kuzat-train --known, or built here) to find
    again in new texts: re-posted with words changed, in the other Uzbek
    script, through spelling tricks, or quoted inside a long transcript.
    Matching is thread-safe (each thread has its own matcher); adding and
    removing are not, while others match."""

    def __init__(self, handle):
        self._h = _lib.Owned(handle, _lib_.kuzat_known_free)
        self._local = threading.local()

    @classmethod
    def new(cls, threshold: Optional[float] = None) -> "Known":
        """An empty index with the library's parameters."""
        p, h, err = _lib.KnownParams(), _P(), _lib.Error_()
        _lib_.kuzat_known_params_default(C.byref(p))
        if threshold is not None:
            p.threshold = threshold
        _check(_lib_.kuzat_known_new(C.byref(p), None, C.byref(h), C.byref(err)), err)
        return cls(h)

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> "Known":
        """Load an index (.kzk) from a file; a damaged, truncated or newer
        one raises Error with the reason."""
        h, err = _P(), _lib.Error_()
        _check(_lib_.kuzat_known_load_file(os.fsencode(path), None, C.byref(h),
                                           C.byref(err)), err)
        return cls(h)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Known":
        """Load an index from the bytes of a .kzk file."""
        data = bytes(data)
        h, err = _P(), _lib.Error_()
        _check(_lib_.kuzat_known_load_mem(data, len(data), None, C.byref(h),
                                          C.byref(err)), err)
        return cls(h)

    def add(self, id: str, text: Text, labels: Sequence[str] = ()) -> None:
        """Add a known text under a new id (a duplicate id raises Error)."""
        i, t, lab = _bytes(id), _bytes(text), ",".join(labels).encode()
        err = _lib.Error_()
        _check(_lib_.kuzat_known_add(self._h.p, i, len(i), t, len(t), lab, len(lab),
                                     C.byref(err)), err)

    def remove(self, id: str) -> None:
        """Remove the document with this id (an unknown id raises Error)."""
        i, err = _bytes(id), _lib.Error_()
        _check(_lib_.kuzat_known_remove(self._h.p, i, len(i), C.byref(err)), err)

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Write the index to `path` atomically."""
        err = _lib.Error_()
        _check(_lib_.kuzat_known_save(self._h.p, os.fsencode(path), C.byref(err)), err)

    def __len__(self):
        return _lib_.kuzat_known_count(self._h.p)

    @property
    def threshold(self) -> float:
        """The least similarity reported as a match (stored in the index)."""
        p = _lib.KnownParams()
        _lib_.kuzat_known_get_params(self._h.p, C.byref(p))
        return p.threshold

    def _matcher(self):
        m = getattr(self._local, "m", None)
        if m is None:
            h, err = _P(), _lib.Error_()
            _check(_lib_.kuzat_known_matcher_new(None, C.byref(h), C.byref(err)), err)
            m = self._local.m = _lib.Owned(h, _lib_.kuzat_known_matcher_free)
        return m

    def match(self, text: Text, threshold: Optional[float] = None) -> List[KnownHit]:
        """The known documents found in `text`, best first."""
        b = _bytes(text)
        hits, n, err = C.POINTER(_lib.KnownHit_)(), C.c_size_t(), _lib.Error_()
        _check(_lib_.kuzat_known_match(self._matcher().p, self._h.p, b, len(b),
                                       -1.0 if threshold is None else threshold,
                                       C.byref(hits), C.byref(n), C.byref(err)), err)
        out = []
        for k in range(n.value):
            h = hits[k]
            labels = C.string_at(h.labels, h.labels_len).decode("utf-8", "replace")
            start, end = h.start, h.end
            if isinstance(text, str):
                start, end = _chars(b, start), _chars(b, end)
            out.append(KnownHit(C.string_at(h.id, h.id_len).decode("utf-8", "replace"),
                                labels.split(",") if labels else [], h.similarity,
                                start, end))
        return out
