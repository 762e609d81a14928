# The house's shape: no file of src/ calls into a file that calls it back,
# directly or around a loop, and no source file grows past 900 lines.
#
# The calls are read from the object files, not the sources: file A calls
# file B when an undefined symbol of A.o (nm -u) is defined by B.o. A
# static inline function of a header counts where it is expanded, which is
# what matters: a helper in internal.h that calls normalise.c makes every
# file including it call normalise.c.
. "$(dirname "$0")/lib.sh"

objs=$(ls "$B"/obj/*.o 2>/dev/null)
if [ -z "$objs" ]; then
  notok "layers: no object files in $B/obj (build first)"
  kt_done
  exit
fi

# "file symbol" for every global a file defines, "file U symbol" for every
# one it uses; the file is the object's name without .o (build/obj/model.o:
# model).
for o in $objs; do
  f=$(basename "$o" .o)
  nm -g --defined-only "$o" | awk -v f="$f" 'NF >= 3 {print f, $3}'
  nm -u "$o" | awk -v f="$f" '{print f, "U", $NF}'
done > "$T/syms"

# Edges "A B" (A calls B), then every cycle, by a depth-first search from
# each file: a cycle is reported as the path that closes it.
awk '
  $2 != "U" { def[$2] = $1; next }
  { use[$1, $3] = 1 }
  END {
    for (k in use) {
      split(k, p, SUBSEP)
      if ((p[2] in def) && def[p[2]] != p[1]) print p[1], def[p[2]]
    }
  }' "$T/syms" | sort -u > "$T/edges"

awk '
  { out[$1] = out[$1] " " $2; node[$1] = 1; node[$2] = 1 }
  function visit(v, path,    i, n, w, ws) {
    state[v] = 1
    n = split(out[v], ws, " ")
    for (i = 1; i <= n; i++) {
      w = ws[i]
      if (state[w] == 1) { print "cycle: " path " -> " w; found = 1 }
      else if (!state[w]) visit(w, path " -> " w)
    }
    state[v] = 2
  }
  END {
    for (v in node) if (!state[v]) visit(v, v)
    exit found
  }' "$T/edges" > "$T/cycles"
check "no cycle between the files of src/ (calls read from $B/obj/*.o)" "" \
  "$(cat "$T/cycles")"
[ -s "$T/edges" ] && ok || notok "layers: no calls found between object files (nm failed?)"

# Sizes: no source file over 900 lines, and each program's main.c (options,
# --help, the driver) under 700. include/kuzat.h is not counted: it is the
# library's one public header and its reference manual (as zlib.h is), and
# its length is documentation.
wc -l src/*.c src/*.h classify/*.c classify/*.h train/*.c train/*.h |
  awk '$2 != "total" && $1 > 900 {print $2, $1}' > "$T/over"
check "no source file over 900 lines" "" "$(cat "$T/over")"
wc -l classify/main.c train/main.c | awk '$2 != "total" && $1 >= 700 {print $2, $1}' > "$T/over"
check "each program's main.c under 700 lines" "" "$(cat "$T/over")"

kt_done
