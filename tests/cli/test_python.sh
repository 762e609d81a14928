# The Python package's tests (python/test_*.py) under Debian's python3 and
# pytest, against this build's libkuzat.so. make test installs
# python3-pytest (and numpy and pandas, without which some tests skip).
. "$(dirname "$0")/lib.sh"

case "$B" in
build) ;;
*) skip "python: runs in the plain build only (a sanitizer build's library cannot be loaded into python3)"; kt_done; exit ;;
esac
if ! /usr/bin/python3 -c 'import pytest' 2> /dev/null; then
  skip "python: python3-pytest is not installed (make test installs it)"
  kt_done; exit
fi

PYTHONDONTWRITEBYTECODE=1 KUZAT_LIBRARY="$(pwd)/$B/libkuzat.so.1" KUZAT_BUILD="$B" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider -rs python/test_kuzat.py python/test_batch.py python/test_known.py \
  > "$T/pytest.log" 2>&1
rc=$?
passed=$(sed -n 's/^\([0-9][0-9]*\) passed.*/\1/p' "$T/pytest.log" | tail -n 1)
skipped=$(sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p' "$T/pytest.log" | tail -n 1)
sed -n 's/^SKIPPED \[[0-9]*\] /skip - python: /p' "$T/pytest.log"
if [ "$rc" = 0 ] && [ -n "$passed" ]; then
  kt_p=$((kt_p + passed)) kt_s=$((kt_s + ${skipped:-0}))
else
  notok "python/test_*.py (pytest exit $rc)"
  tail -n 40 "$T/pytest.log" | sed 's/^/      /'
fi
kt_done
