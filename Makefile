# kuzat -- build, test, install. See README.md.
#
#   make                  libkuzat (static and shared) and both programs in build/
#   make test             install missing Debian packages, build, run every test
#   make demo             install missing Debian packages, build, run on samples
#   make bench            benchmarks (not tests): see bench/README.md
#   make SANITIZER=address,undefined test    the same under sanitizers, in
#                         build-address-undefined/ (also: address, undefined)
#   make valgrind         the unit tests under valgrind
#   make install / uninstall   honour PREFIX (/usr/local) and DESTDIR: programs,
#                         libkuzat (.a, .so), kuzat.h, kuzat.pc, man pages, the
#                         default model and the Python package; installing to
#                         the real root as root refreshes the linker's cache
#
# Warnings are errors; packagers may build with WERROR= to relax that.

VERSION := 0.2.0
SOVERSION := 1

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
# The default model; kuzat-classify looks for it at ../share/kuzat beside
# its own directory, so keep DATADIR there.
DATADIR ?= $(PREFIX)/share/kuzat
MANDIR ?= $(PREFIX)/share/man
# The Python package (python/kuzat/) goes where Debian's python3 looks:
# /usr/lib/python3/dist-packages for PREFIX=/usr, else
# PREFIX/lib/python3.X/dist-packages, X from $(PYTHON) (Debian searches
# /usr/local/lib/python3.X/dist-packages; another prefix needs PYTHONPATH).
PYTHON ?= /usr/bin/python3
PYTHON_X = $(or $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null),3)
ifeq ($(PREFIX),/usr)
PYTHONDIR ?= $(PREFIX)/lib/python3/dist-packages
else
PYTHONDIR ?= $(PREFIX)/lib/python$(PYTHON_X)/dist-packages
endif
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
WERROR ?= -Werror
SANITIZER ?=
PKG_CONFIG ?= pkg-config

comma := ,
PKGS := icu-uc icu-i18n zlib libdeflate jansson libxxhash
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

ifeq ($(SANITIZER),)
B ?= build
MODE_CFLAGS := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
MODE_LDFLAGS :=
else
B ?= build-$(subst $(comma),-,$(SANITIZER))
MODE_CFLAGS := -O1 -fsanitize=$(SANITIZER) -fno-omit-frame-pointer \
               -fno-sanitize-recover=all
MODE_LDFLAGS := -fsanitize=$(SANITIZER)
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter $(WERROR)
KZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -Iinclude -Isrc \
             $(PKG_CFLAGS) $(CFLAGS) $(MODE_CFLAGS) -fPIC -fvisibility=hidden
KZ_LDFLAGS := $(LDFLAGS) $(MODE_LDFLAGS)
KZ_LIBS := $(PKG_LIBS) -lsvm -lm -lpthread

LIB_SRC := $(sort $(wildcard src/*.c))
# the library's objects but the language profile's tables, which
# tools/profile.c builds with them (and tools/no_profile.c)
LIB_OBJ_BASE := $(LIB_SRC:src/%.c=$(B)/obj/%.o) $(B)/obj/langid_corpus.o
LIB_OBJ := $(LIB_OBJ_BASE) $(B)/obj/langid_profile.o
LANGID_TEXTS := $(sort $(wildcard datasets/langid/*.txt))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(filter-out tests/unit/check.c,$(wildcard tests/unit/test_*.c)))

PROGRAMS := $(B)/kuzat-train $(B)/kuzat-classify
SHLIB := $(B)/libkuzat.so.$(VERSION)

.PHONY: all check-deps deps test demo bench valgrind tsan install uninstall clean model
.DELETE_ON_ERROR:

all: check-deps $(B)/libkuzat.a $(SHLIB) $(PROGRAMS)

# A clear message instead of a wall of compiler errors when a library is missing.
check-deps:
	@$(PKG_CONFIG) --exists $(PKGS) && test -e /usr/include/libsvm/svm.h || { \
	  echo "kuzat: missing build dependencies. Run: scripts/deps.sh" >&2; \
	  echo "  (or: apt-get install build-essential pkg-config libicu-dev zlib1g-dev libdeflate-dev libjansson-dev libxxhash-dev libsvm-dev)" >&2; \
	  exit 1; }

deps:
	@scripts/deps.sh

$(B)/obj/%.o: src/%.c include/kuzat.h $(wildcard src/*.h) | $(B)/obj
	$(CC) $(KZ_CFLAGS) -c -o $@ $<

$(B)/tools/embed: tools/embed.c | $(B)/tools
	$(CC) $(KZ_CFLAGS) -o $@ $< $(KZ_LDFLAGS)

$(B)/langid_corpus.c: $(B)/tools/embed $(LANGID_TEXTS)
	$(B)/tools/embed $@ $(foreach f,$(LANGID_TEXTS),$(firstword $(subst ., ,$(notdir $(f))))=$(f))

$(B)/obj/langid_corpus.o: $(B)/langid_corpus.c src/internal.h | $(B)/obj
	$(CC) $(KZ_CFLAGS) -c -o $@ $<

# the language profile, built once here rather than by every normaliser
$(B)/tools/profile: tools/profile.c tools/no_profile.c $(LIB_OBJ_BASE) | $(B)/tools
	$(CC) $(KZ_CFLAGS) -o $@ tools/profile.c tools/no_profile.c $(LIB_OBJ_BASE) $(KZ_LDFLAGS) $(KZ_LIBS)

$(B)/langid_profile.c: $(B)/tools/profile
	$(B)/tools/profile $@

$(B)/obj/langid_profile.o: $(B)/langid_profile.c src/internal.h | $(B)/obj
	$(CC) $(KZ_CFLAGS) -c -o $@ $<

$(B)/libkuzat.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(SHLIB): $(LIB_OBJ) src/kuzat.map
	$(CC) -shared -Wl,-soname,libkuzat.so.$(SOVERSION) \
	  -Wl,--version-script=src/kuzat.map -o $@ $(LIB_OBJ) $(KZ_LDFLAGS) $(KZ_LIBS)
	ln -sf libkuzat.so.$(VERSION) $(B)/libkuzat.so.$(SOVERSION)
	ln -sf libkuzat.so.$(SOVERSION) $(B)/libkuzat.so

# A program is every .c file of its folder (classify/, train/), rebuilt when
# any of them or the folder's headers change.
.SECONDEXPANSION:
$(B)/kuzat-%: $$(sort $$(wildcard $$*/*.c)) $$(wildcard $$*/*.h) $(B)/libkuzat.a include/kuzat.h
	$(CC) $(KZ_CFLAGS) -o $@ $(filter %.c,$^) $(B)/libkuzat.a $(KZ_LDFLAGS) $(KZ_LIBS)

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libkuzat.a | $(B)/tests
	$(CC) $(KZ_CFLAGS) -Itests/unit -o $@ $< $(B)/libkuzat.a $(KZ_LDFLAGS) $(KZ_LIBS)

$(B)/bench/%: bench/%.c $(B)/libkuzat.a | $(B)/bench
	$(CC) $(KZ_CFLAGS) -o $@ $< $(B)/libkuzat.a $(KZ_LDFLAGS) $(KZ_LIBS)

$(B)/obj $(B)/tools $(B)/tests $(B)/bench:
	mkdir -p $@

# GNU parallel: the CLI tests check that kuzat-classify runs under it;
# pytest runs the Python package's tests (numpy and pandas for its columns);
# venv, setuptools and wheel build and install it as pip does (test_pip.sh);
# Dask runs examples/dask_score.py (test_dask.sh). Chromium opens the HTML
# review page and strace counts the writes of --buffered (their tests skip
# that, saying so, where they cannot be had).
test:
	@scripts/deps.sh parallel python3-pytest python3-numpy python3-pandas \
	  python3-venv python3-setuptools python3-wheel python3-dask python3-distributed
	@scripts/deps.sh chromium || echo "kuzat: Debian's chromium could not be installed: tests/cli/test_html.sh will skip its browser checks" >&2
	@scripts/deps.sh strace || echo "kuzat: strace could not be installed: tests/cli/test_inputs.sh will not count --buffered's writes" >&2
	$(MAKE) all $(UNIT_TESTS)
	tests/run.sh $(B)

# The default model, from ../shared/datasets (see models/MODEL_CARD.md).
model:
	@scripts/deps.sh python3
	$(MAKE) all
	datasets/recipes/make-model.sh $(B)

demo: deps
	$(MAKE) all
	scripts/demo.sh $(B)

bench: check-deps all $(B)/bench/featurize $(B)/bench/utf8 $(B)/bench/score $(B)/bench/known
	bench/bench.sh $(B)

# The threads test under ThreadSanitizer (built in build-thread/).
# test_threads, then kuzat-classify's threads (its ring and arena) through
# the CLI tests that run them: a race report ends the program (exit 66),
# which fails the test that ran it.
tsan: check-deps
	$(MAKE) SANITIZER=thread build-thread/tests/test_threads build-thread/kuzat-classify \
	  build-thread/kuzat-train
	build-thread/tests/test_threads
	KUZAT_BUILD=build-thread TSAN_OPTIONS="halt_on_error=1 exitcode=66" sh tests/cli/test_classify.sh
	KUZAT_BUILD=build-thread TSAN_OPTIONS="halt_on_error=1 exitcode=66" sh tests/cli/test_badinput.sh

valgrind: check-deps all $(UNIT_TESTS)
	KUZAT_VALGRIND=1 tests/run.sh $(B)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 644 include/kuzat.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(B)/libkuzat.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libkuzat.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkuzat.so.$(SOVERSION)
	ln -sf libkuzat.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libkuzat.so
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
	  kuzat.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/kuzat.pc
	install -d $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(PYTHONDIR)
	install -m 644 models/default.kzm models/MODEL_CARD.md $(DESTDIR)$(DATADIR)/
	install -m 644 man/kuzat-classify.1 man/kuzat-train.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(PYTHONDIR)/kuzat
	install -m 644 python/kuzat/__init__.py python/kuzat/_lib.py python/kuzat/py.typed \
	  $(DESTDIR)$(PYTHONDIR)/kuzat/
	printf '# Written by make install: where it put the library and the model.\nLIBDIR = "%s"\nDATADIR = "%s"\n' \
	  '$(LIBDIR)' '$(DATADIR)' > $(DESTDIR)$(PYTHONDIR)/kuzat/_paths.py
	@scripts/ldconfig.sh '$(DESTDIR)' '$(LIBDIR)'

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kuzat-train $(DESTDIR)$(BINDIR)/kuzat-classify
	rm -f $(DESTDIR)$(INCLUDEDIR)/kuzat.h $(DESTDIR)$(PKGCONFIGDIR)/kuzat.pc
	rm -f $(DESTDIR)$(DATADIR)/default.kzm $(DESTDIR)$(DATADIR)/MODEL_CARD.md
	rm -f $(DESTDIR)$(MANDIR)/man1/kuzat-classify.1 $(DESTDIR)$(MANDIR)/man1/kuzat-train.1
	rm -f $(DESTDIR)$(PYTHONDIR)/kuzat/__init__.py $(DESTDIR)$(PYTHONDIR)/kuzat/_lib.py \
	  $(DESTDIR)$(PYTHONDIR)/kuzat/py.typed $(DESTDIR)$(PYTHONDIR)/kuzat/_paths.py
	rm -rf $(DESTDIR)$(PYTHONDIR)/kuzat/__pycache__
	-rmdir $(DESTDIR)$(PYTHONDIR)/kuzat 2>/dev/null
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null
	rm -f $(DESTDIR)$(LIBDIR)/libkuzat.a $(DESTDIR)$(LIBDIR)/libkuzat.so \
	  $(DESTDIR)$(LIBDIR)/libkuzat.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libkuzat.so.$(VERSION)

clean:
	rm -rf build build-*

# make fuzz [FUZZ_SECONDS=N]: the libFuzzer targets (see tests/fuzz/README.md).
-include tests/fuzz/fuzz.mk
