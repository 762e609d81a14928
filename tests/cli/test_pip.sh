# The README's three commands for the Python package, from a fresh copy of
# the source tree (what git tracks, no build/), with Debian's python3 and
# no environment variables: a venv, an offline pip install that builds the
# library into the package, and the default model scoring a word.
# make test installs python3-venv, python3-setuptools and python3-wheel.
. "$(dirname "$0")/lib.sh"

case "$B" in
build) ;;
*) skip "pip: runs in the plain build only (this is $B)"; kt_done; exit ;;
esac
if ! /usr/bin/python3 -c 'import ensurepip, setuptools, wheel' 2> /dev/null; then
  skip "pip: python3-venv, python3-setuptools or python3-wheel is not installed (make test installs them)"
  kt_done; exit
fi

# The copy: the tracked files (and new ones not ignored) as they are now.
C="$T/kuzat"
mkdir -p "$C"
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  git ls-files --cached --others --exclude-standard | while read -r f; do
    [ -e "$f" ] && printf '%s\n' "$f"
  done | tar -cf - -T - | tar -xf - -C "$C"
else
  tar -cf - --exclude='./build*' --exclude='./.venv' . | tar -xf - -C "$C"
fi
[ ! -e "$C/build" ] && [ -e "$C/python/pyproject.toml" ] && ok || notok "a fresh copy without build/"

# Exactly the README's commands (its Python section shows these three
# lines), with nothing in the environment but PATH.
cat > "$T/commands.sh" <<'SH'
python3 -m venv --system-site-packages .venv
.venv/bin/pip install --no-build-isolation --no-index ./python
.venv/bin/python -c "import kuzat; print(kuzat.Model.default().score('salom').score)"
SH
check "the README's Python section shows the three commands" 3 \
  "$(sed -n '/^## Python$/,/^## /p' README.md | grep -c -x -F -f "$T/commands.sh")"
( cd "$C" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$T" sh -e "$T/commands.sh" ) \
  > "$T/pip.log" 2>&1
check "venv, pip install --no-build-isolation --no-index ./python, Model.default(): exit 0" 0 "$?"
score=$(tail -n 1 "$T/pip.log")
want=$(printf 'salom\n' | "$CLASSIFY" -m models/default.kzm --lines | sed 's/.*"score":\([0-9.]*\).*/\1/')
check "the installed package scores 'salom' as kuzat-classify does" "$want" \
  "$(printf '%.4f' "$score" 2> /dev/null || echo "$score")"
grep -q "Successfully installed kuzat-" "$T/pip.log" && ok ||
  { notok "pip installed kuzat"; tail -n 30 "$T/pip.log" | sed 's/^/      /'; }

# Where it came from: the library and the model inside the installed
# package, whatever the current directory.
where=$(cd / && env -i PATH=/usr/bin:/bin "$C/.venv/bin/python" -c '
import os, kuzat
site = os.path.dirname(os.path.dirname(kuzat.__file__))
print(os.path.relpath(kuzat.library_path, site), os.path.relpath(kuzat.Model.default().path, site),
      kuzat.__version__ == kuzat.version(), site.startswith(os.path.realpath("'"$C"'/.venv")) or site.startswith("'"$C"'/.venv"))')
check "from the package: its libkuzat.so.1 and default.kzm, in the venv" \
  "kuzat/libkuzat.so.1 kuzat/default.kzm True True" "$where"
kt_done
