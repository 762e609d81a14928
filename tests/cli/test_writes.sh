# No data loss on writes (issue 8, part 4): kuzat-train writes its model
# to MODEL.tmp.PID beside MODEL and renames it over MODEL, so a training
# that dies at any moment, or meets a full disk, leaves the previous model
# byte for byte. Checked by
#  - SIGKILL at each moment of the write, from an LD_PRELOAD shim
#    (tests/cli/kill_at.c): before the temporary file is created, once it
#    exists, half-written, before fsync, before and after the rename;
#  - SIGKILL after random delays, over and over, on a longer training;
#  - the file-size limit (SIGXFSZ in the middle of the write);
#  - a full disk: a 64 KiB tmpfs (skipped when it cannot be mounted).
# A process killed by SIGKILL cannot clean up. On Linux the model is
# written into an unnamed file (O_TMPFILE) that is named MODEL.tmp.PID
# only once complete, just before the rename: a death before that leaves
# nothing, a death between the two leaves MODEL.tmp.PID (its own pid,
# never the model's name). Elsewhere MODEL.tmp.PID exists from the start.
. "$(dirname "$0")/lib.sh"
R=$(pwd)
FULL="$T/full"
trap 'umount "$FULL" 2> /dev/null; rm -rf "$T"' EXIT

DATA=tests/data/classify/train.tsv
"$TRAIN" -q -o "$T/old.kzm" "$DATA" 2> "$T/err" ||
  { notok "train the old model: $(cat "$T/err")"; kt_done; exit 1; }
"$TRAIN" -q -o "$T/new.kzm" --seed 5 "$DATA" 2> "$T/err" ||
  { notok "train the new model: $(cat "$T/err")"; kt_done; exit 1; }
cmp -s "$T/old.kzm" "$T/new.kzm" && notok "the new model differs from the old one" || ok
mkdir "$T/d"

# after NAME PID: the model in $T/d is intact (the old one, or with
# want=new the new one), it loads, and only MODEL.tmp.PID may be left
after() {
  name=$1 pid=$2
  want=${want:-old}
  cmp -s "$T/$want.kzm" "$T/d/m.kzm" && ok || notok "$name: the model is not the $want one, byte for byte"
  printf 'x\n' | "$CLASSIFY" -m "$T/d/m.kzm" > /dev/null 2> "$T/err" && ok ||
    notok "$name: the model does not load: $(cat "$T/err")"
  left=$(cd "$T/d" && ls | grep -v '^m\.kzm$' | paste -sd ' ')
  case "$left" in
    "") ;;
    "m.kzm.tmp.$pid") echo "info - $name: left m.kzm.tmp.PID of the killed process ($(wc -c < "$T/d/m.kzm.tmp.$pid") bytes)"
      rm -f "$T/d/m.kzm.tmp.$pid" ;;
    *) notok "$name: unexpected files left: $left" ;;
  esac
}

# --- SIGKILL at each moment of the write ---
CC=${CC:-cc}
# under AddressSanitizer the shim is preloaded before ASan's runtime
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
if "$CC" -shared -fPIC -o "$T/kill_at.so" tests/cli/kill_at.c -ldl 2> "$T/err"; then
  for moment in open created write fsync link rename renamed; do
    cp "$T/old.kzm" "$T/d/m.kzm"
    KUZAT_KILL_AT=$moment LD_PRELOAD="$T/kill_at.so" "$TRAIN" -q -o "$T/d/m.kzm" --seed 5 "$DATA" \
      > /dev/null 2>&1 &
    pid=$!
    { wait $pid; } 2> /dev/null
    check "SIGKILL at $moment: the training was killed" 137 $?
    if [ $moment = renamed ]; then want=new after "SIGKILL at $moment" $pid
    else want=old after "SIGKILL at $moment" $pid; fi
    case "$left,$(uname -s),$moment" in
      ,*|*,rename) ok ;;
      *,Linux,*) notok "SIGKILL at $moment: $left left behind on Linux (O_TMPFILE should leave nothing)" ;;
      *) ok ;;
    esac
  done
  # without O_TMPFILE (the file system refuses it): a named temporary file
  # from the start, which a SIGKILL while writing leaves behind
  cp "$T/old.kzm" "$T/d/m.kzm"
  KUZAT_NO_TMPFILE=1 KUZAT_KILL_AT=write LD_PRELOAD="$T/kill_at.so" "$TRAIN" -q -o "$T/d/m.kzm" \
    --seed 5 "$DATA" > /dev/null 2>&1 &
  pid=$!
  { wait $pid; } 2> /dev/null
  check "no O_TMPFILE, SIGKILL at write: killed" 137 $?
  want=old after "no O_TMPFILE, SIGKILL at write" $pid
  case "$left" in "m.kzm.tmp.$pid") ok ;; *) notok "no O_TMPFILE: the named temporary file was expected, found '$left'" ;; esac
  KUZAT_NO_TMPFILE=1 LD_PRELOAD="$T/kill_at.so" "$TRAIN" -q -o "$T/d/m.kzm" --seed 5 "$DATA"
  check "no O_TMPFILE: exit 0" 0 $?
  want=new after "no O_TMPFILE" none
  # the shim itself kills nothing when no moment is named
  cp "$T/old.kzm" "$T/d/m.kzm"
  LD_PRELOAD="$T/kill_at.so" "$TRAIN" -q -o "$T/d/m.kzm" --seed 5 "$DATA"
  check "the shim without KUZAT_KILL_AT: exit 0" 0 $?
  want=new after "the shim without KUZAT_KILL_AT" none
else
  skip "SIGKILL at each moment of the write: cannot build the LD_PRELOAD shim ($(head -n 1 "$T/err"))"
fi

# --- SIGKILL after random delays, on a training that takes a while ---
awk 'BEGIN {
  srand(11); print "id\tlabel\tgroup\ttext";
  for (i = 0; i < 600; i++) {
    t = ""; n = 8 + int(rand() * 20);
    for (w = 0; w < n; w++) t = t " w" int(rand() * 400);
    pos = (i % 3 == 0);
    if (pos) t = t " fire";
    printf "d%d\t%s\tg%d\t%s\n", i, pos ? "alarm" : "calm", int(i / 10), t;
  }
}' > "$T/long.tsv"
start=$(date +%s%N)
"$TRAIN" -q -o "$T/long-new.kzm" --negative calm "$T/long.tsv"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cp "$T/old.kzm" "$T/d/m.kzm"
kept=0 replaced=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  # delays spread over the training's length, the last ones past its end
  delay=$(awk -v i=$i -v ms=$ms 'BEGIN { srand(i); printf "%.3f", (ms * (i / 10.0) + rand() * 20) / 1000 }')
  "$TRAIN" -q -o "$T/d/m.kzm" --negative calm "$T/long.tsv" > /dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 $pid 2> /dev/null
  { wait $pid; } 2> /dev/null
  if cmp -s "$T/d/m.kzm" "$T/old.kzm"; then kept=$((kept + 1)); want=old after "SIGKILL after ${delay}s" $pid
  elif cmp -s "$T/d/m.kzm" "$T/long-new.kzm"; then replaced=$((replaced + 1)); want=long-new after "SIGKILL after ${delay}s" $pid
    cp "$T/old.kzm" "$T/d/m.kzm"
  else notok "SIGKILL after ${delay}s: the model is neither the old one nor the new one"; fi
done
echo "info - SIGKILL after random delays (training takes ${ms} ms): $kept times the old model kept, $replaced times the new one complete"
[ $kept -gt 0 ] && ok || notok "SIGKILL after random delays: no kill landed before the rename"

# --- the file-size limit: SIGXFSZ in the middle of the write ---
cp "$T/old.kzm" "$T/d/m.kzm"
# ulimit -f counts 512-byte blocks in dash and 1024-byte ones in bash: 4
# is 2 or 4 KiB, either way below the model's 7 KiB
( ulimit -f 4 && exec "$TRAIN" -q -o "$T/d/m.kzm" --seed 5 "$DATA" ) > /dev/null 2>&1 &
pid=$!
{ wait $pid; } 2> /dev/null
check "file-size limit of 2-4 KiB: killed by SIGXFSZ" 153 $?
want=old after "file-size limit of 2-4 KiB" $pid

# --- a full disk ---
mkdir "$FULL"
if mount -t tmpfs -o size=64k kuzat-test "$FULL" 2> "$T/err"; then
  cp "$T/old.kzm" "$FULL/m.kzm"
  head -c 1000000 /dev/zero > "$FULL/filler" 2> /dev/null # fills it up
  "$TRAIN" -q -o "$FULL/m.kzm" --seed 5 "$DATA" 2> "$T/err"
  check "full disk: exit 2" 2 $?
  grep -q "^kuzat-train: $FULL/m.kzm: cannot write the model: No space left on device" "$T/err" && ok ||
    notok "full disk: message ($(cat "$T/err"))"
  cmp -s "$T/old.kzm" "$FULL/m.kzm" && ok || notok "full disk: the old model changed"
  check "full disk: no temporary file left" "filler m.kzm" "$(ls "$FULL" | paste -sd ' ')"
  rm -f "$FULL/filler"
  "$TRAIN" -q -o "$T/d/m.kzm" --report "$FULL/r.json" --seed 5 "$DATA" 2> /dev/null; \
    cp "$T/old.kzm" "$T/d/m.kzm"
  head -c 1000000 /dev/zero > "$FULL/filler" 2> /dev/null
  "$TRAIN" -q -o "$T/d/m.kzm" --report "$FULL/r2.json" --seed 5 "$DATA" 2> "$T/err"
  check "full disk for --report: exit 2" 2 $?
  grep -q "cannot write the report" "$T/err" && ok || notok "full disk for --report: message ($(cat "$T/err"))"
  want=old after "full disk for --report" none
  rm -f "$FULL/filler"
  "$TRAIN" -q -o "$FULL/m.kzm" --seed 5 "$DATA" 2> "$T/err"
  check "room again: exit 0" 0 $?
  cmp -s "$T/new.kzm" "$FULL/m.kzm" && ok || notok "room again: the new model is written"
  umount "$FULL"
else
  skip "full disk: cannot mount a 64 KiB tmpfs ($(head -n 1 "$T/err")); /dev/full is tested in test_train.sh"
fi
kt_done
