"""libkuzat through ctypes: finding the library, its structs, its functions.

Private to the package: kuzat/__init__.py is the API. The structs mirror
include/kuzat.h field for field.

The library is looked for, in order:
  1. beside this file (kuzat/libkuzat.so.1): what `pip install ./python`
     puts there;
  2. $KUZAT_LIBRARY (a path): when set, it must load;
  3. the system's libkuzat.so.1 (ldconfig's cache, LD_LIBRARY_PATH): what
     `make install` puts in LIBDIR;
  4. the LIBDIR `make install` recorded in kuzat/_paths.py, for a prefix
     the dynamic linker does not search;
  5. build/libkuzat.so.1 of the source checkout this file is in.
"""

import ctypes as C
import os

# Status codes (kuzat.h, KUZAT_STATUS_MAP).
OK, ENOMEM, EIO, EFORMAT, EVERSION, EUTF8, EINVAL, EICU, ERANGE, ENOTSUP, ENOTTEXT = \
    0, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10
VERSION_MAJOR = 0
VERSION_NUMBER_MIN = 2000  # 0.2.0
LANG_COUNT = 9  # KUZAT_LANG_COUNT
DEFAULT_MAX_CHARS = 1000000  # KUZAT_DEFAULT_MAX_CHARS
READ_BLANK_RECORDS = 0x2  # KUZAT_READ_BLANK_RECORDS

HERE = os.path.dirname(os.path.abspath(__file__))

try:  # written by `make install`: where it put the library and the model
    from . import _paths  # type: ignore
except ImportError:
    _paths = None


# ---------------------------------------------------------------- structs

class Error_(C.Structure):
    _fields_ = [("status", C.c_int), ("line", C.c_long),
                ("byte_offset", C.c_longlong), ("msg", C.c_char * 256)]


class Text(C.Structure):
    _fields_ = [("utf8", C.c_char_p), ("len", C.c_size_t), ("lang", C.c_int),
                ("src_start", C.POINTER(C.c_size_t)),
                ("src_end", C.POINTER(C.c_size_t))]


class Segment(C.Structure):
    _fields_ = [("start", C.c_double), ("end", C.c_double),
                ("off", C.c_size_t), ("len", C.c_size_t)]


class ScoreParams(C.Structure):
    _fields_ = [("window", C.c_size_t), ("window_bytes", C.c_size_t),
                ("explain", C.c_size_t), ("threshold", C.c_double)]


class Window(C.Structure):
    _fields_ = [("first", C.c_size_t), ("last", C.c_size_t),
                ("src_start", C.c_size_t), ("src_end", C.c_size_t)]


class WordPart(C.Structure):
    _fields_ = [("word", C.c_void_p), ("len", C.c_size_t), ("value", C.c_double),
                ("count", C.c_size_t), ("src_start", C.c_size_t),
                ("src_end", C.c_size_t)]


class Result_(C.Structure):
    _fields_ = [("lang", C.c_int), ("markers", C.c_size_t),
                ("prob", C.POINTER(C.c_double)),
                ("decision", C.POINTER(C.c_double)),
                ("best", C.POINTER(C.c_size_t)),
                ("flagged", C.POINTER(C.c_int)),
                ("threshold", C.POINTER(C.c_double)),
                ("any_flagged", C.c_int), ("score", C.c_double),
                ("windows", C.c_size_t), ("window", C.POINTER(Window)),
                ("window_prob", C.POINTER(C.c_double)),
                ("segments", C.c_size_t),
                ("segment_prob", C.POINTER(C.c_double)),
                ("explain", C.c_void_p), ("explain_len", C.c_void_p),
                ("explain_words", C.POINTER(C.POINTER(WordPart))),
                ("explain_words_len", C.POINTER(C.c_size_t))]


class BatchOut(C.Structure):
    _fields_ = [("score", C.POINTER(C.c_double)), ("flagged", C.POINTER(C.c_int)),
                ("lang", C.POINTER(C.c_int)), ("prob", C.POINTER(C.c_double)),
                ("marker_flagged", C.POINTER(C.c_int))]


class Record_(C.Structure):
    _fields_ = [("id", C.c_void_p), ("id_len", C.c_size_t),
                ("text", C.c_void_p), ("text_len", C.c_size_t),
                ("line", C.c_long), ("error", C.c_char_p),
                ("labels", C.c_void_p), ("labels_len", C.c_size_t),
                ("lang", C.c_void_p), ("lang_len", C.c_size_t),
                ("group", C.c_void_p), ("group_len", C.c_size_t),
                ("has_labels", C.c_int),
                ("segments", C.POINTER(Segment)), ("segments_len", C.c_size_t),
                ("full_len", C.c_size_t), ("status", C.c_int),
                ("encoding", C.c_char_p)]


class FeatureParams(C.Structure):
    _fields_ = [("seed", C.c_uint64), ("bits", C.c_int),
                ("word_min", C.c_int), ("word_max", C.c_int),
                ("char_min", C.c_int), ("char_max", C.c_int),
                ("arabic_char_min", C.c_int), ("arabic_char_max", C.c_int)]


class KnownParams(C.Structure):
    _fields_ = [("seed", C.c_uint64), ("shingle", C.c_int), ("window", C.c_int),
                ("threshold", C.c_double)]


class KnownHit_(C.Structure):
    _fields_ = [("id", C.c_void_p), ("id_len", C.c_size_t),
                ("labels", C.c_void_p), ("labels_len", C.c_size_t),
                ("similarity", C.c_double), ("start", C.c_size_t),
                ("end", C.c_size_t), ("doc", C.c_size_t)]


PROGRESS = C.CFUNCTYPE(None, C.c_void_p, C.c_double)


class TrainParams(C.Structure):
    _fields_ = [("kernel", C.c_int), ("gamma", C.c_double),
                ("grid", C.POINTER(C.c_double)), ("grid_len", C.c_size_t),
                ("folds", C.c_int), ("target_precision", C.c_double),
                ("negatives", C.c_char_p), ("seed", C.c_uint64),
                ("threads", C.c_int), ("progress", PROGRESS),
                ("progress_ud", C.c_void_p), ("target_fpr", C.c_double),
                ("decision", C.c_char_p)]


# ---------------------------------------------------------------- loading

def candidates():
    """(path, required) in the order they are tried."""
    out = [(os.path.join(HERE, "libkuzat.so.1"), False)]
    env = os.environ.get("KUZAT_LIBRARY")
    if env:
        out.append((env, True))
    out.append(("libkuzat.so.1", False))
    if _paths is not None:
        out.append((os.path.join(_paths.LIBDIR, "libkuzat.so.1"), False))
    out.append((os.path.join(HERE, os.pardir, os.pardir, "build", "libkuzat.so.1"), False))
    return out


def load():
    why = []
    for path, required in candidates():
        if os.sep in path and not os.path.exists(path) and not required:
            continue
        try:
            return C.CDLL(path), path
        except OSError as e:
            if required:
                raise ImportError("kuzat: cannot load $KUZAT_LIBRARY (%s): %s"
                                  % (path, e)) from None
            why.append(str(e))
    raise ImportError(
        "kuzat: cannot find libkuzat.so.1 (%s). Install the package with "
        "'pip install ./python' from a kuzat checkout (it builds the library "
        "into the package), or run 'make install' and then 'sudo ldconfig', "
        "or set KUZAT_LIBRARY to the library's path" % "; ".join(why or ["not found"]))


lib, library_path = load()

_P = C.c_void_p
_E = C.POINTER(Error_)
_SIGS = {
    "kuzat_version": (C.c_char_p, []),
    "kuzat_version_number": (C.c_int, []),
    "kuzat_strstatus": (C.c_char_p, [C.c_int]),
    "kuzat_lang_name": (C.c_char_p, [C.c_int]),
    "kuzat_format_from_name": (C.c_int, [C.c_char_p]),
    "kuzat_normaliser_new": (C.c_int, [_P, C.POINTER(_P), _E]),
    "kuzat_normaliser_free": (None, [_P]),
    "kuzat_normalise": (C.c_int, [_P, C.c_char_p, C.c_size_t, C.c_uint,
                                  C.POINTER(Text), _E]),
    "kuzat_model_load_mem": (C.c_int, [C.c_char_p, C.c_size_t, _P, C.POINTER(_P), _E]),
    "kuzat_model_load_file": (C.c_int, [C.c_char_p, _P, C.POINTER(_P), _E]),
    "kuzat_model_save": (C.c_int, [_P, C.c_char_p, _E]),
    "kuzat_model_free": (None, [_P]),
    "kuzat_model_id": (C.c_char_p, [_P]),
    "kuzat_model_markers": (C.c_size_t, [_P]),
    "kuzat_model_marker": (C.c_char_p, [_P, C.c_size_t]),
    "kuzat_model_threshold": (C.c_double, [_P, C.c_size_t]),
    "kuzat_scorer_new": (C.c_int, [_P, _P, C.POINTER(_P), _E]),
    "kuzat_scorer_free": (None, [_P]),
    "kuzat_score_params_default": (None, [C.POINTER(ScoreParams)]),
    "kuzat_score": (C.c_int, [_P, C.c_char_p, C.c_size_t, C.POINTER(Segment),
                              C.c_size_t, C.POINTER(ScoreParams),
                              C.POINTER(C.POINTER(Result_)), _E]),
    "kuzat_score_many": (C.c_int, [C.POINTER(_P), C.c_size_t, C.POINTER(C.c_char_p),
                                   C.POINTER(C.c_size_t), C.c_size_t,
                                   C.POINTER(ScoreParams), C.POINTER(BatchOut), _E]),
    "kuzat_reader_open": (C.c_int, [C.c_char_p, C.c_int, C.c_char_p, _P,
                                    C.POINTER(_P), _E]),
    "kuzat_reader_next": (C.c_int, [_P, C.POINTER(Record_), _E]),
    "kuzat_reader_set_limit": (None, [_P, C.c_size_t]),
    "kuzat_reader_set_flags": (None, [_P, C.c_uint]),
    "kuzat_reader_free": (None, [_P]),
    "kuzat_feature_params_default": (None, [C.POINTER(FeatureParams)]),
    "kuzat_trainset_new": (C.c_int, [C.POINTER(FeatureParams), _P, C.POINTER(_P), _E]),
    "kuzat_trainset_add": (C.c_int, [_P, C.c_char_p, C.c_size_t, C.c_char_p,
                                     C.c_size_t, C.c_char_p, C.c_size_t,
                                     C.c_char_p, C.c_size_t, _E]),
    "kuzat_trainset_rows": (C.c_size_t, [_P]),
    "kuzat_trainset_free": (None, [_P]),
    "kuzat_train_params_default": (None, [C.POINTER(TrainParams)]),
    "kuzat_train": (C.c_int, [_P, C.POINTER(TrainParams), C.POINTER(_P), _P, _E]),
    "kuzat_known_params_default": (None, [C.POINTER(KnownParams)]),
    "kuzat_known_new": (C.c_int, [C.POINTER(KnownParams), _P, C.POINTER(_P), _E]),
    "kuzat_known_add": (C.c_int, [_P, C.c_char_p, C.c_size_t, C.c_char_p, C.c_size_t,
                                  C.c_char_p, C.c_size_t, _E]),
    "kuzat_known_remove": (C.c_int, [_P, C.c_char_p, C.c_size_t, _E]),
    "kuzat_known_count": (C.c_size_t, [_P]),
    "kuzat_known_get_params": (None, [_P, C.POINTER(KnownParams)]),
    "kuzat_known_set_threshold": (C.c_int, [_P, C.c_double, _E]),
    "kuzat_known_load_file": (C.c_int, [C.c_char_p, _P, C.POINTER(_P), _E]),
    "kuzat_known_load_mem": (C.c_int, [C.c_char_p, C.c_size_t, _P, C.POINTER(_P), _E]),
    "kuzat_known_save": (C.c_int, [_P, C.c_char_p, _E]),
    "kuzat_known_free": (None, [_P]),
    "kuzat_known_matcher_new": (C.c_int, [_P, C.POINTER(_P), _E]),
    "kuzat_known_matcher_free": (None, [_P]),
    "kuzat_known_match": (C.c_int, [_P, _P, C.c_char_p, C.c_size_t, C.c_double,
                                    C.POINTER(C.POINTER(KnownHit_)),
                                    C.POINTER(C.c_size_t), _E]),
}
for _name, (_res, _args) in _SIGS.items():
    _f = getattr(lib, _name)
    _f.restype, _f.argtypes = _res, _args

# 0.2 grew kuzat_feature_params (the Arabic-script range): an older
# library of the same major version would not fill the struct this binding
# declares
if lib.kuzat_version_number() // 1000000 != VERSION_MAJOR or \
        lib.kuzat_version_number() < VERSION_NUMBER_MIN:
    raise ImportError("kuzat: %s is version %s; this binding needs %d.%d or a later %d.x"
                      % (library_path, lib.kuzat_version().decode(), VERSION_MAJOR,
                         VERSION_NUMBER_MIN % 1000000 // 1000, VERSION_MAJOR))

LANG_NAMES = [lib.kuzat_lang_name(i).decode() for i in range(LANG_COUNT)]


class Owned:
    """A library handle freed with its owner."""

    def __init__(self, p, free):
        self.p, self._free = p, free

    def __del__(self):
        if self.p:
            self._free(self.p)
            self.p = None


def default_model_candidates():
    """Where Model.default() looks, in order."""
    out = [os.path.join(HERE, "default.kzm")]
    if _paths is not None:
        out.append(os.path.join(_paths.DATADIR, "default.kzm"))
    out.append(os.path.join(HERE, os.pardir, os.pardir, "models", "default.kzm"))
    return [os.path.normpath(p) for p in out]
