# The man pages: every option --help lists is documented in man/PROGRAM.1,
# every option documented there exists, the version is the programs', and
# the pages render without a warning.
. "$(dirname "$0")/lib.sh"

version=$("$CLASSIFY" --version | awk 'NR == 1 {print $2}')
for prog in kuzat-classify kuzat-train; do
  page="man/$prog.1"
  "$B/$prog" --help | grep -o -- '--[a-z][a-z-]*' | sort -u > "$T/help"
  sed '/^\.SH EXAMPLES/,/^\.SH SEE ALSO/d; s/\\-/-/g' "$page" | grep -o -- '--[a-z][a-z-]*' | sort -u > "$T/man"
  check "$prog: options in --help but not in $page" "" "$(comm -23 "$T/help" "$T/man" | tr '\n' ' ')"
  check "$prog: options in $page but not in --help" "" "$(comm -13 "$T/help" "$T/man" | tr '\n' ' ')"
  check "$prog: $page is of version $version" "kuzat $version" \
    "$(sed -n 's/^\.TH [^"]*"[^"]*" "\([^"]*\)".*/\1/p' "$page")"
  if command -v man > /dev/null 2>&1; then
    check "$prog: $page renders without warnings" "" \
      "$(MANWIDTH=80 man -l --warnings=w -E UTF-8 "$page" 2>&1 > /dev/null)"
  else
    skip "$prog: rendering $page: man is not installed"
  fi
done
kt_done
