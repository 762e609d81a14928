"""kuzat: score text for militant-propaganda markers (Python binding).

A thin ctypes binding over libkuzat (nothing to compile). It scores
Uzbek (Latin and Cyrillic), Tajik, Kyrgyz, Russian and English text with a
kuzat model, exactly as kuzat-classify does:

    import kuzat
    model = kuzat.Model.from_file("/usr/local/share/kuzat/default.kzm")
    # or, from bytes a service fetched: kuzat.Model.from_bytes(blob)
    r = model.score("Birodarlar, hijratga shoshiling")
    r.score, r.flagged, r.lang, r.markers      # 0.998, True, 'uz-Latn', {...}

    # a transcript: (start, end, text) segments, scored in windows
    r = model.score_segments([(0.0, 2.5, "..."), (2.5, 5.0, "...")])

Threads: Model.score() may be called from any number of threads at once.
Each thread gets its own scorer over the one shared read-only model, and
ctypes releases the GIL during the library call, so threads score in
parallel. (A Scorer object is for one thread at a time.)

The shared library is found in this order: $KUZAT_LIBRARY (a path), the
system's libkuzat.so.0 (ldconfig, LD_LIBRARY_PATH), then the build
directory of a source checkout (../build/libkuzat.so.0 beside this file).

Errors raise kuzat.Error, with .status (a KUZAT_E* code, e.g.
kuzat.EFORMAT) and the library's message.
"""

import ctypes as C
import os
import threading

__all__ = ["Error", "Model", "Scorer", "Result", "TrainSet", "normalise",
           "version", "library_path"]

# Status codes (kuzat.h, KUZAT_STATUS_MAP).
OK, ENOMEM, EIO, EFORMAT, EVERSION, EUTF8, EINVAL, EICU, ERANGE, ENOTSUP, ENOTTEXT = \
    0, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10
KERNEL_LINEAR, KERNEL_RBF = 0, 2
_VERSION_MAJOR = 0

# The marker that, when a model has it, gives the verdict (kuzat.h's
# KUZAT_DECISION_MARKER).
DECISION_MARKER = "propaganda"


class Error(Exception):
    """A libkuzat call failed: .status is its KUZAT_E* code."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------- structs
# These mirror include/kuzat.h field for field.

class _Error(C.Structure):
    _fields_ = [("status", C.c_int), ("line", C.c_long),
                ("byte_offset", C.c_longlong), ("msg", C.c_char * 256)]


class _Text(C.Structure):
    _fields_ = [("utf8", C.c_char_p), ("len", C.c_size_t), ("lang", C.c_int),
                ("src_start", C.POINTER(C.c_size_t)),
                ("src_end", C.POINTER(C.c_size_t))]


class _Segment(C.Structure):
    _fields_ = [("start", C.c_double), ("end", C.c_double),
                ("off", C.c_size_t), ("len", C.c_size_t)]


class _ScoreParams(C.Structure):
    _fields_ = [("window", C.c_size_t), ("window_bytes", C.c_size_t),
                ("explain", C.c_size_t), ("threshold", C.c_double)]


class _Window(C.Structure):
    _fields_ = [("first", C.c_size_t), ("last", C.c_size_t),
                ("src_start", C.c_size_t), ("src_end", C.c_size_t)]


class _WordPart(C.Structure):
    _fields_ = [("word", C.c_void_p), ("len", C.c_size_t), ("value", C.c_double),
                ("count", C.c_size_t), ("src_start", C.c_size_t),
                ("src_end", C.c_size_t)]


class _Result(C.Structure):
    _fields_ = [("lang", C.c_int), ("markers", C.c_size_t),
                ("prob", C.POINTER(C.c_double)),
                ("decision", C.POINTER(C.c_double)),
                ("best", C.POINTER(C.c_size_t)),
                ("flagged", C.POINTER(C.c_int)),
                ("threshold", C.POINTER(C.c_double)),
                ("any_flagged", C.c_int), ("score", C.c_double),
                ("windows", C.c_size_t), ("window", C.POINTER(_Window)),
                ("window_prob", C.POINTER(C.c_double)),
                ("segments", C.c_size_t),
                ("segment_prob", C.POINTER(C.c_double)),
                ("explain", C.c_void_p), ("explain_len", C.c_void_p),
                ("explain_words", C.POINTER(C.POINTER(_WordPart))),
                ("explain_words_len", C.POINTER(C.c_size_t))]


class _FeatureParams(C.Structure):
    _fields_ = [("seed", C.c_uint64), ("bits", C.c_int),
                ("word_min", C.c_int), ("word_max", C.c_int),
                ("char_min", C.c_int), ("char_max", C.c_int)]


_PROGRESS = C.CFUNCTYPE(None, C.c_void_p, C.c_double)


class _TrainParams(C.Structure):
    _fields_ = [("kernel", C.c_int), ("gamma", C.c_double),
                ("grid", C.POINTER(C.c_double)), ("grid_len", C.c_size_t),
                ("folds", C.c_int), ("target_precision", C.c_double),
                ("negatives", C.c_char_p), ("seed", C.c_uint64),
                ("threads", C.c_int), ("progress", _PROGRESS),
                ("progress_ud", C.c_void_p)]


# ---------------------------------------------------------------- library

def _candidates():
    env = os.environ.get("KUZAT_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    return ["libkuzat.so.0",
            os.path.join(here, os.pardir, "build", "libkuzat.so.0")]


def _load():
    why = []
    for path in _candidates():
        try:
            return C.CDLL(path), path
        except OSError as e:
            why.append(str(e))
    raise ImportError("kuzat: cannot load libkuzat (set KUZAT_LIBRARY to "
                      "its path): " + "; ".join(why))


_lib, library_path = _load()

_P = C.c_void_p
_SIGS = {
    "kuzat_version": (C.c_char_p, []),
    "kuzat_version_number": (C.c_int, []),
    "kuzat_strstatus": (C.c_char_p, [C.c_int]),
    "kuzat_lang_name": (C.c_char_p, [C.c_int]),
    "kuzat_normaliser_new": (C.c_int, [_P, C.POINTER(_P), C.POINTER(_Error)]),
    "kuzat_normaliser_free": (None, [_P]),
    "kuzat_normalise": (C.c_int, [_P, C.c_char_p, C.c_size_t, C.c_uint,
                                  C.POINTER(_Text), C.POINTER(_Error)]),
    "kuzat_model_load_mem": (C.c_int, [C.c_char_p, C.c_size_t, _P, C.POINTER(_P),
                                       C.POINTER(_Error)]),
    "kuzat_model_load_file": (C.c_int, [C.c_char_p, _P, C.POINTER(_P),
                                        C.POINTER(_Error)]),
    "kuzat_model_save": (C.c_int, [_P, C.c_char_p, C.POINTER(_Error)]),
    "kuzat_model_free": (None, [_P]),
    "kuzat_model_id": (C.c_char_p, [_P]),
    "kuzat_model_markers": (C.c_size_t, [_P]),
    "kuzat_model_marker": (C.c_char_p, [_P, C.c_size_t]),
    "kuzat_model_threshold": (C.c_double, [_P, C.c_size_t]),
    "kuzat_scorer_new": (C.c_int, [_P, _P, C.POINTER(_P), C.POINTER(_Error)]),
    "kuzat_scorer_free": (None, [_P]),
    "kuzat_score_params_default": (None, [C.POINTER(_ScoreParams)]),
    "kuzat_score": (C.c_int, [_P, C.c_char_p, C.c_size_t, C.POINTER(_Segment),
                              C.c_size_t, C.POINTER(_ScoreParams),
                              C.POINTER(C.POINTER(_Result)), C.POINTER(_Error)]),
    "kuzat_feature_params_default": (None, [C.POINTER(_FeatureParams)]),
    "kuzat_trainset_new": (C.c_int, [C.POINTER(_FeatureParams), _P, C.POINTER(_P),
                                     C.POINTER(_Error)]),
    "kuzat_trainset_add": (C.c_int, [_P, C.c_char_p, C.c_size_t, C.c_char_p,
                                     C.c_size_t, C.c_char_p, C.c_size_t,
                                     C.c_char_p, C.c_size_t, C.POINTER(_Error)]),
    "kuzat_trainset_rows": (C.c_size_t, [_P]),
    "kuzat_trainset_free": (None, [_P]),
    "kuzat_train_params_default": (None, [C.POINTER(_TrainParams)]),
    "kuzat_train": (C.c_int, [_P, C.POINTER(_TrainParams), C.POINTER(_P), _P,
                              C.POINTER(_Error)]),
}
for _name, (_res, _args) in _SIGS.items():
    _f = getattr(_lib, _name)
    _f.restype, _f.argtypes = _res, _args

if _lib.kuzat_version_number() // 1000000 != _VERSION_MAJOR:
    raise ImportError("kuzat: %s is version %s; this binding needs %d.x"
                      % (library_path, _lib.kuzat_version().decode(),
                         _VERSION_MAJOR))


def version():
    """The library's version string, e.g. '0.1.0'."""
    return _lib.kuzat_version().decode()


def _check(rc, err):
    if rc != OK:
        raise Error(rc, err.msg.decode("utf-8", "replace")
                    or _lib.kuzat_strstatus(rc).decode())


def _bytes(text):
    if isinstance(text, bytes):
        return text
    return text.encode("utf-8", "surrogatepass")


def _chars(b, off):
    """The str index of byte offset `off` of UTF-8 bytes `b`."""
    return len(b[:off].decode("utf-8", "replace"))


# ---------------------------------------------------------------- normaliser

_local = threading.local()


def normalise(text, translit=True):
    """(normalised text, language code) of `text`, as the model sees it."""
    n = getattr(_local, "normaliser", None)
    if n is None:
        n, err = _P(), _Error()
        _check(_lib.kuzat_normaliser_new(None, C.byref(n), C.byref(err)), err)
        _local.normaliser = n = _Owned(n, _lib.kuzat_normaliser_free)
    b, t, err = _bytes(text), _Text(), _Error()
    _check(_lib.kuzat_normalise(n.p, b, len(b), 0 if translit else 2,
                                C.byref(t), C.byref(err)), err)
    return (C.string_at(t.utf8, t.len).decode("utf-8"),
            _lib.kuzat_lang_name(t.lang).decode())


class _Owned:
    """A library handle freed with its owner."""

    def __init__(self, p, free):
        self.p, self._free = p, free

    def __del__(self):
        if self.p:
            self._free(self.p)
            self.p = None


# ---------------------------------------------------------------- results

class Result:
    """What scoring found.

    score      the verdict's probability (0..1): the "propaganda" marker's in
               a model that has one, else the highest of any marker
    flagged    the verdict: "propaganda" reached its threshold (in a model
               without it: some marker reached its own)
    lang       the language of the whole text ('uz-Latn', 'tg', ...)
    markers    {marker: probability} for every marker
    flags      {marker: True/False}
    worst      (start, end) of the window that gave the score: seconds for
               a transcript, str indices for a text
    segments   transcripts: [(start, end, probability of the verdict's
               marker)] for every segment on its own
    explain    with explain=K: {marker: [(word, weight, (i, j))]}, the K
               words that weigh most, with their place in the text (str
               indices); weights are parts of the decision value
    """

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __repr__(self):
        return "Result(score=%.4f, flagged=%r, lang=%r, markers=%r)" % (
            self.score, self.flagged, self.lang, self.markers)


# ---------------------------------------------------------------- model

class Model:
    """A trained kuzat model: read-only, shared by every thread."""

    def __init__(self, handle):
        self._h = _Owned(handle, _lib.kuzat_model_free)
        self._local = threading.local()
        n = _lib.kuzat_model_markers(handle)
        self.marker_names = [_lib.kuzat_model_marker(handle, i).decode()
                             for i in range(n)]
        self.thresholds = [_lib.kuzat_model_threshold(handle, i)
                           for i in range(n)]
        self.id = _lib.kuzat_model_id(handle).decode()

    @classmethod
    def from_bytes(cls, data):
        """Load a model from the bytes of a .kzm file (not kept)."""
        data = bytes(data)
        h, err = _P(), _Error()
        _check(_lib.kuzat_model_load_mem(data, len(data), None, C.byref(h),
                                         C.byref(err)), err)
        return cls(h)

    @classmethod
    def from_file(cls, path):
        """Load a model from a .kzm file."""
        h, err = _P(), _Error()
        _check(_lib.kuzat_model_load_file(os.fsencode(path), None, C.byref(h),
                                          C.byref(err)), err)
        return cls(h)

    def save(self, path):
        """Write the model to `path` atomically."""
        err = _Error()
        _check(_lib.kuzat_model_save(self._h.p, os.fsencode(path),
                                     C.byref(err)), err)

    def scorer(self):
        """A new Scorer: for one thread at a time."""
        return Scorer(self)

    def _thread_scorer(self):
        s = getattr(self._local, "scorer", None)
        if s is None:
            s = self._local.scorer = Scorer(self)
        return s

    def score(self, text, **params):
        """Score a text with this thread's scorer. See Scorer.score()."""
        return self._thread_scorer().score(text, **params)

    def score_segments(self, segments, **params):
        """Score a transcript with this thread's scorer. See
        Scorer.score_segments()."""
        return self._thread_scorer().score_segments(segments, **params)


class Scorer:
    """Scores texts with a model. Use one per thread (Model.score() does)."""

    def __init__(self, model):
        self.model = model  # the model must outlive the scorer
        h, err = _P(), _Error()
        _check(_lib.kuzat_scorer_new(model._h.p, None, C.byref(h),
                                     C.byref(err)), err)
        self._h = _Owned(h, _lib.kuzat_scorer_free)

    def score(self, text, window_bytes=None, explain=0, threshold=None):
        """Score one text (str or UTF-8 bytes). A text longer than
        window_bytes (default: the library's, kuzat_score_params_default())
        is scored in windows overlapping by half, and its score is the worst
        window's. threshold: flag a marker at or above this probability
        (default: each marker's own from the model)."""
        return self._score(_bytes(text), None, None, window_bytes, explain,
                           threshold)

    def score_segments(self, segments, window=None, explain=0, threshold=None):
        """Score a transcript: `segments` is a list of (start, end, text),
        times in seconds. Its score is the worst window: any run of
        `window` consecutive segments (default: the library's), or any one
        segment alone."""
        parts, segs, off = [], (_Segment * max(1, len(segments)))(), 0
        for i, (start, end, text) in enumerate(segments):
            b = _bytes(text)
            segs[i] = _Segment(float(start), float(end), off, len(b))
            parts.append(b)
            off += len(b) + 1
        return self._score(b"\n".join(parts), (segs, len(segments), segments),
                           window, None, explain, threshold)

    def _score(self, b, segs, window, window_bytes, explain, threshold):
        p = _ScoreParams()
        _lib.kuzat_score_params_default(C.byref(p))
        if window is not None:
            p.window = window
        if window_bytes is not None:
            p.window_bytes = window_bytes
        p.explain = explain
        if threshold is not None:
            p.threshold = threshold
        r, err = C.POINTER(_Result)(), _Error()
        arr, nsegs = (segs[0], segs[1]) if segs else (None, 0)
        _check(_lib.kuzat_score(self._h.p, b, len(b), arr, nsegs, C.byref(p),
                                C.byref(r), C.byref(err)), err)
        return self._result(r.contents, b, segs)

    def _result(self, r, b, segs):
        names = self.model.marker_names
        m = r.markers
        # the verdict's marker: "propaganda" when the model has it
        d = names.index(DECISION_MARKER) if DECISION_MARKER in names else 0
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
        return Result(score=r.score, flagged=bool(r.any_flagged),
                      lang=_lib.kuzat_lang_name(r.lang).decode(),
                      markers={names[k]: r.prob[k] for k in range(m)},
                      flags={names[k]: bool(r.flagged[k]) for k in range(m)},
                      worst=worst, segments=segments, explain=explain)


# ---------------------------------------------------------------- training

class TrainSet:
    """Labelled documents in memory, to train a Model from."""

    def __init__(self):
        h, err = _P(), _Error()
        _check(_lib.kuzat_trainset_new(None, None, C.byref(h), C.byref(err)), err)
        self._h = _Owned(h, _lib.kuzat_trainset_free)

    def add(self, text, labels=(), lang="", group=""):
        """Add a document. labels: marker names (none: a negative);
        lang: a language code, or '' to identify it; group: the account
        or source, never split across cross-validation folds."""
        b, lab = _bytes(text), ",".join(labels).encode()
        lg, gr, err = lang.encode(), _bytes(group), _Error()
        _check(_lib.kuzat_trainset_add(self._h.p, b, len(b), lab, len(lab), lg,
                                       len(lg), gr, len(gr), C.byref(err)), err)

    def __len__(self):
        return _lib.kuzat_trainset_rows(self._h.p)

    def train(self, grid=None, folds=5, seed=0, threads=1, negatives=None,
              target_precision=0.0, kernel=KERNEL_LINEAR):
        """Train one calibrated SVM per marker; returns a Model."""
        p = _TrainParams()
        _lib.kuzat_train_params_default(C.byref(p))
        keep = None
        if grid:
            keep = (C.c_double * len(grid))(*grid)
            p.grid, p.grid_len = C.cast(keep, C.POINTER(C.c_double)), len(grid)
        p.folds, p.seed, p.threads, p.kernel = folds, seed, threads, kernel
        p.target_precision = target_precision
        if negatives is not None:
            p.negatives = ",".join(negatives).encode()
        h, err = _P(), _Error()
        _check(_lib.kuzat_train(self._h.p, C.byref(p), C.byref(h), None,
                                C.byref(err)), err)
        return Model(h)
