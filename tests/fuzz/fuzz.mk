# tests/fuzz/fuzz.mk -- the libFuzzer targets (included by the Makefile).
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_JOBS=1] [FUZZ_TARGETS="score ..."]
#        build every target into build-fuzz/ with clang and
#        -fsanitize=fuzzer,address,undefined, then run each for FUZZ_SECONDS,
#        FUZZ_JOBS at a time, on a working corpus in build-fuzz/corpus/<target>
#        seeded from tests/fuzz/corpus/<target>; fails if any target crashes.
#        Seconds and runs per target are appended to build-fuzz/hours.log.
#   make fuzz-smoke      the same, FUZZ_SMOKE_RUNS inputs per target (CI)
#   make fuzz-build      only build them
#   make fuzz-coverage [FUZZ_TARGETS=...]
#        build the targets again into build-fuzz-cov/ with clang's
#        source-based coverage (no sanitizers) and report, through llvm-cov,
#        the lines and branches of src/*.c that the seeds alone reach and
#        that the seeds plus the working corpora reach (tests/fuzz/coverage.sh)
#
# Every name here starts with FZ_ or FUZZ_, apart from the targets.

FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
FUZZ_SMOKE_RUNS ?= 2000
FZ_CC ?= clang
FZ_B := build-fuzz
FZ_ALL := reader_text reader_tsv reader_jsonl reader_srt reader_vtt reader_whisper \
          reader_gzip model_mem model_file normalise score known_mem charset html
FUZZ_TARGETS ?= $(FZ_ALL)
FZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -Iinclude -Isrc -Itests/unit $(PKG_CFLAGS) \
             -O1 -g -fno-omit-frame-pointer $(FZ_SAN)
# without the language profile's tables (tools/no_profile.c): each
# normaliser builds its profile, under the sanitizers
FZ_LIB_OBJ := $(LIB_SRC:src/%.c=$(FZ_B)/obj/%.o) $(FZ_B)/obj/langid_corpus.o $(FZ_B)/obj/no_profile.o
FZ_BINS := $(FZ_ALL:%=$(FZ_B)/fuzz_%)

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-deps fuzz-coverage

# clang and libFuzzer (Debian: clang, libclang-rt-dev), installed when missing.
fuzz-deps:
	@scripts/deps.sh clang libclang-rt-dev

fuzz-build: fuzz-deps check-deps
	$(MAKE) $(FZ_BINS)

fuzz: fuzz-build
	tests/fuzz/run.sh -max_total_time=$(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	tests/fuzz/run.sh -runs=$(FUZZ_SMOKE_RUNS) 1 $(FUZZ_TARGETS)

# The same rules, into another directory, with coverage instead of sanitizers
# (llvm-profdata and llvm-cov: Debian's llvm).
fuzz-coverage: fuzz-deps check-deps
	@scripts/deps.sh llvm
	LLVM_PROFILE_FILE=build-fuzz-cov/build-%p.profraw \
	  $(MAKE) FZ_B=build-fuzz-cov FZ_SAN='-fprofile-instr-generate -fcoverage-mapping' \
	  $(FUZZ_TARGETS:%=build-fuzz-cov/fuzz_%)
	tests/fuzz/coverage.sh --seeds $(FUZZ_TARGETS)
	tests/fuzz/coverage.sh $(FUZZ_TARGETS)

# The readers' slack beyond the limit is 64 bytes instead of 64 KiB, so that
# inputs of a few KiB reach "record too long" (see src/read_input.c).
FZ_SLACK := -DKZ_RAW_SLACK=64u -DKZ_LINE_SLACK=64u

$(FZ_B)/obj/%.o: src/%.c include/kuzat.h $(wildcard src/*.h) | $(FZ_B)/obj
	$(FZ_CC) $(FZ_CFLAGS) $(FZ_SLACK) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FZ_B)/tools/embed: tools/embed.c | $(FZ_B)/tools
	$(FZ_CC) $(FZ_CFLAGS) -o $@ $<

$(FZ_B)/langid_corpus.c: $(FZ_B)/tools/embed $(LANGID_TEXTS)
	$(FZ_B)/tools/embed $@ $(foreach f,$(LANGID_TEXTS),$(firstword $(subst ., ,$(notdir $(f))))=$(f))

$(FZ_B)/obj/langid_corpus.o: $(FZ_B)/langid_corpus.c src/internal.h | $(FZ_B)/obj
	$(FZ_CC) $(FZ_CFLAGS) -c -o $@ $<

$(FZ_B)/obj/no_profile.o: tools/no_profile.c src/internal.h | $(FZ_B)/obj
	$(FZ_CC) $(FZ_CFLAGS) -c -o $@ $<

$(FZ_B)/libkuzat.a: $(FZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

# (fuzz.c includes fuzz_field.c, which includes kuzat-classify's HTML writer)
FZ_SRC := tests/fuzz/fuzz.c tests/fuzz/fuzz_field.c tests/unit/helpers.h classify/buf.c \
          classify/html.c classify/output.c classify/classify.h
$(FZ_B)/fuzz_%: $(FZ_SRC) $(FZ_B)/libkuzat.a include/kuzat.h
	$(FZ_CC) $(FZ_CFLAGS) -fsanitize=fuzzer -DKZ_FUZZ_TARGET=kz_fuzz_$* \
	  -DKZ_FUZZ_ROOT='"$(CURDIR)"' -o $@ $< $(FZ_B)/libkuzat.a $(KZ_LIBS)

$(FZ_B)/obj $(FZ_B)/tools:
	mkdir -p $@

# The unit test that replays the seeds and past crashes includes fuzz.c.
$(B)/tests/test_fuzz_regress: $(FZ_SRC)
