# make install / uninstall into a DESTDIR, then build a program against the
# installed header and library through pkg-config, as a user would.
. "$(dirname "$0")/lib.sh"

case "$B" in
build) ;;
*) skip "install: runs in the plain build only (this is $B)"; kt_done; exit ;;
esac

D="$T/dest"
make -s install B="$B" DESTDIR="$D" PREFIX=/usr > "$T/install.log" 2>&1; rc=$?
check "make install: exit 0" 0 "$rc"
for f in bin/kuzat-classify bin/kuzat-train include/kuzat.h lib/libkuzat.a \
         lib/libkuzat.so lib/libkuzat.so.1 lib/pkgconfig/kuzat.pc; do
  [ -e "$D/usr/$f" ] && ok || notok "installed $f"
done
check "soname" "libkuzat.so.1" "$(objdump -p "$D/usr/lib/libkuzat.so" | awk '/SONAME/ {print $2}')"
others=$(nm -D --defined-only "$D/usr/lib/libkuzat.so" | awk '{print $3}' | grep -v '^kuzat_')
check "only kuzat_* symbols exported" "" "$others"
check "no private kuzat__* function exported" "" \
  "$(nm -D --defined-only "$D/usr/lib/libkuzat.so" | awk '$3 ~ /^kuzat__/ {print $3}')"
# the naming rule of src/internal.h: a linker symbol is kuzat_* or kuzat__*;
# kz_* names types, macros and static inline helpers only
check "every symbol of libkuzat.a is kuzat_* or kuzat__*" "" \
  "$(nm -g --defined-only "$D/usr/lib/libkuzat.a" | awk 'NF == 3 && $3 !~ /^kuzat_/ {print $3}')"
untested=$(nm -D --defined-only "$D/usr/lib/libkuzat.so" | awk '$3 ~ /^kuzat_/ {print $3}' |
  while read -r sym; do grep -q "$sym(" tests/unit/test_api.c || echo "$sym"; done)
check "every exported function is in the NULL and out-of-memory table (tests/unit/test_api.c)" "" "$untested"

cat > "$T/user.c" <<'C'
#include <kuzat.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  kuzat_normaliser *n;
  kuzat_text t;
  const char *s = "O'zbekiston";
  if (kuzat_normaliser_new(NULL, &n, NULL) || kuzat_normalise(n, s, strlen(s), 0, &t, NULL))
    return 1;
  printf("%s %s %s\n", kuzat_version(), kuzat_lang_name(t.lang), t.utf8);
  kuzat_normaliser_free(n);
  return 0;
}
C
export PKG_CONFIG_PATH="$D/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D"
if cc -std=c99 -pedantic -Werror -o "$T/user" "$T/user.c" $(pkg-config --cflags --libs kuzat) 2> "$T/cc.log"; then
  ok
  check "program built against the installed library" "0.2.0 uz-Latn oʻzbekiston" \
    "$(LD_LIBRARY_PATH="$D/usr/lib" "$T/user")"
else
  notok "cc against the installed kuzat.pc"; cat "$T/cc.log"
fi
printf '#include <kuzat.h>\n' > "$T/alone.c"
cc -std=c99 -pedantic -Wall -Wextra -Werror -c -o "$T/alone.o" "$T/alone.c" $(pkg-config --cflags kuzat) 2> "$T/cc.log" &&
  ok || { notok "kuzat.h alone under -std=c99 -pedantic -Wall -Wextra"; cat "$T/cc.log"; }
if command -v c++ > /dev/null 2>&1; then
  printf '#include <kuzat.h>\nint main() { return kuzat_version_number() == KUZAT_VERSION_NUMBER ? 0 : 1; }\n' > "$T/user.cc"
  c++ -std=c++11 -pedantic -Werror -o "$T/usercc" "$T/user.cc" $(pkg-config --cflags --libs kuzat) 2> "$T/cc.log" &&
    LD_LIBRARY_PATH="$D/usr/lib" "$T/usercc" && ok || { notok "kuzat.h from C++"; cat "$T/cc.log"; }
else
  skip "kuzat.h from C++: no C++ compiler"
fi

for f in share/man/man1/kuzat-classify.1 share/man/man1/kuzat-train.1 \
         lib/python3/dist-packages/kuzat/__init__.py lib/python3/dist-packages/kuzat/_lib.py \
         lib/python3/dist-packages/kuzat/_paths.py share/kuzat/default.kzm; do
  [ -e "$D/usr/$f" ] && ok || notok "installed $f"
done

# The moderation-service example, built as its comment says, against the
# installed library; 4 threads, a model loaded from memory. Its scores must
# be kuzat-classify's.
{ cut -f2 tests/data/classify/train.tsv | sed 1d | awk '{ gsub(/"/, ""); printf "{\"id\":\"%d\",\"text\":\"%s\"}\n", NR, $0 }'
  echo 'not json'
  echo '{"id":"v","segments":[{"start":0,"end":2,"text":"salom"},{"start":2,"end":4,"text":"hijratga shoshiling birodarlar"}]}'
} > "$T/posts.jsonl"
if cc -std=c11 -O2 -pthread -Werror -Wall -Wextra -pedantic -o "$T/moderate" examples/moderate.c \
     $(pkg-config --cflags --libs kuzat) 2> "$T/cc.log"; then
  ok
  LD_LIBRARY_PATH="$D/usr/lib" "$T/moderate" -m "$D/usr/share/kuzat/default.kzm" -t 4 \
    < "$T/posts.jsonl" > "$T/moderate.out" 2> "$T/moderate.err"
  check "examples/moderate: exit 0" 0 "$?"
  "$B/kuzat-classify" -q -m models/default.kzm --format jsonl < "$T/posts.jsonl" |
    sed -n 's/^{"id":\("[^"]*"\),"flagged":\([a-z]*\),"score":\([0-9.]*\).*/\1 \2 \3/p' > "$T/cli.sc"
  sed -n 's/^{"id":\("[^"]*"\),"decision":"\([a-z]*\)","score":\([0-9.]*\).*/\1 \2 \3/p' "$T/moderate.out" |
    sed 's/ review / true /; s/ allow / false /' > "$T/mod.sc"
  check "examples/moderate: one line per input line" "$(wc -l < "$T/posts.jsonl")" "$(wc -l < "$T/moderate.out")"
  check "examples/moderate: a score for every good record" 53 "$(wc -l < "$T/mod.sc")"
  check_file "examples/moderate: kuzat-classify's decisions and scores" "$T/cli.sc" "$T/mod.sc"
  check "examples/moderate: the bad line is an error in place" 1 "$(grep -c '"error":' "$T/moderate.out")"
else
  notok "cc examples/moderate.c against the installed kuzat.pc"; cat "$T/cc.log"
fi

# The Python binding as installed: the model from memory, 4 threads.
cat > "$T/service.py" <<'PY'
import sys, kuzat
from concurrent.futures import ThreadPoolExecutor
model = kuzat.Model.from_bytes(open(sys.argv[1], "rb").read())
texts = [line.rstrip("\n") for line in sys.stdin]
with ThreadPoolExecutor(max_workers=4) as pool:
    for r in pool.map(model.score, texts):
        print("%s %.4f" % (str(r.flagged).lower(), r.score))
print(kuzat.library_path, file=sys.stderr)
print(kuzat._lib.default_model_candidates()[1], file=sys.stderr)
PY
cut -f2 tests/data/classify/train.tsv | sed 1d > "$T/texts.txt"
env -u KUZAT_LIBRARY PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$D/usr/lib/python3/dist-packages" \
  LD_LIBRARY_PATH="$D/usr/lib" /usr/bin/python3 "$T/service.py" "$D/usr/share/kuzat/default.kzm" \
  < "$T/texts.txt" > "$T/py.out" 2> "$T/py.err"
check "python: the installed binding runs" 0 "$?"
check "python: it loaded the installed library" "libkuzat.so.1" "$(sed -n 1p "$T/py.err")"
check "python: Model.default() looks for the installed model (kuzat/_paths.py)" /usr/share/kuzat/default.kzm \
  "$(sed -n 2p "$T/py.err")"
"$B/kuzat-classify" -q -m models/default.kzm --lines < "$T/texts.txt" |
  sed -n 's/.*"flagged":\([a-z]*\),"score":\([0-9.]*\).*/\1 \2/p' > "$T/cli.py"
check "python: a score for every text" 52 "$(wc -l < "$T/py.out")"
check_file "python: the installed binding gives kuzat-classify's scores" "$T/cli.py" "$T/py.out"

printf 'Bugun havo yaxshi\n' | env -u KUZAT_MODEL "$D/usr/bin/kuzat-classify" > "$T/inst.out" 2> "$T/inst.err"
check "the installed kuzat-classify finds the installed default model" \
  "$(printf x | "$B/kuzat-classify" -m models/default.kzm | sed 's/.*"model":"\([0-9a-f]*\)".*/\1/')" \
  "$(sed -n 's/.*"model":"\([0-9a-f]*\)".*/\1/p' "$T/inst.out")"

make -s uninstall B="$B" DESTDIR="$D" PREFIX=/usr > /dev/null 2>&1
check "make uninstall leaves nothing" "" "$(find "$D" -type f -o -type l)"

# The default prefix: the package goes to /usr/local/lib/python3.X/dist-packages,
# X from Debian's python3, a directory that python3 searches.
D2="$T/dest2"
make -s install B="$B" DESTDIR="$D2" > "$T/install2.log" 2>&1
check "make install (PREFIX=/usr/local): exit 0" 0 "$?"
pydir=$(/usr/bin/python3 -c 'import sys; print("/usr/local/lib/python%d.%d/dist-packages" % sys.version_info[:2])')
[ -e "$D2$pydir/kuzat/__init__.py" ] && ok || notok "the package is in $pydir: $(find "$D2" -name __init__.py)"
/usr/bin/python3 -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "$pydir" &&
  ok || notok "$pydir is on Debian's python3 path"
check "kuzat/_paths.py names the installed library and model" \
  "/usr/local/lib /usr/local/share/kuzat" \
  "$(cd "$D2$pydir/kuzat" && /usr/bin/python3 -c 'import _paths; print(_paths.LIBDIR, _paths.DATADIR)')"
check "a staged install (DESTDIR) leaves the linker's cache alone and says nothing of it" "" \
  "$(grep -i ldconfig "$T/install2.log")"
make -s uninstall B="$B" DESTDIR="$D2" > /dev/null 2>&1
check "make uninstall (PREFIX=/usr/local) leaves nothing" "" "$(find "$D2" -type f -o -type l)"

# Installing to the real root refreshes the linker's cache (as root) or says
# how (scripts/ldconfig.sh, with ldconfig and id played by scripts here).
mkdir -p "$T/fake"
printf '#!/bin/sh\necho "ldconfig $*" >> "%s/ldconfig.log"\n[ "$1" = -p ] && echo "	libkuzat.so.1 (libc6,x86-64) => /usr/local/lib/libkuzat.so.1"\nexit 0\n' "$T" > "$T/fake/ldconfig"
printf '#!/bin/sh\necho "${FAKE_UID:-0}"\n' > "$T/fake/id"
chmod +x "$T/fake/ldconfig" "$T/fake/id"
out=$(PATH="$T/fake:$PATH" scripts/ldconfig.sh "" /usr/local/lib)
check "as root: ldconfig runs, and finds the library" "ldconfig |ldconfig -p||" \
  "$(tr '\n' '|' < "$T/ldconfig.log")|$out"
out=$(PATH="$T/fake:$PATH" scripts/ldconfig.sh "" /opt/kuzat/lib)
case "$out" in *"/opt/kuzat/lib is not searched"*) ok ;; *) notok "a LIBDIR the linker does not search is reported: $out" ;; esac
out=$(FAKE_UID=1000 PATH="$T/fake:$PATH" scripts/ldconfig.sh "" /usr/local/lib)
check "not root: says to run sudo ldconfig" \
  "kuzat: now run 'sudo ldconfig' so that programs find /usr/local/lib/libkuzat.so.1" "$out"
kt_done
