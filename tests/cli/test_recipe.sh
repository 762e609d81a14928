# make model's recipe: it stops with a clear message when the shared data is
# missing or not what it knows, and builds the sets from sources in the
# expected shape. The sources here are a few lines written for the test,
# laid out like ../shared/datasets.
. "$(dirname "$0")/lib.sh"

KUZAT_SHARED="$T/nowhere" datasets/recipes/make-model.sh "$B" > /dev/null 2> "$T/err"
check "make model without the shared datasets: exit 2" 2 $?
grep -q "nowhere not found" "$T/err" && grep -q "MODEL_CARD.md" "$T/err"
check "... saying what is missing and where the shipped model came from" 0 $?

if ! command -v python3 > /dev/null 2>&1; then
  skip "python3 is not installed (make model installs it): recipe checks"
  kt_done
  exit
fi

S="$T/shared"
src() { # NAME FILE HEADER ROWS...
  mkdir -p "$S/$1"; f="$S/$1/$2"; printf '%s\n' "$3" > "$f"; shift 3
  for r in "$@"; do printf '%s\n' "$r" >> "$f"; done
}
tab=$(printf '\t')
mk_all() {
  src isis-twitter-en train.tsv "label${tab}lang${tab}text" \
    "propaganda${tab}en${tab}Join the caravan, brothers" \
    "propaganda${tab}en${tab}RT @someone: Join the caravan, brothers" \
    "about_isis${tab}en${tab}The news says the group lost ground"
  for d in ptc-semeval2020-task11 semeval2023-task3-persuasion unlp2025-manipulation-telegram; do
    src $d train.tsv "label${tab}lang${tab}text${tab}techniques" \
      "neutral${tab}en${tab}A plain report${tab}" "propaganda${tab}ru${tab}Громкий заголовок${tab}x"
  done
  src kyrgyz-24kg-topics train.tsv "label${tab}lang${tab}text" "politics${tab}ky${tab}Бишкекте жамгыр жаайт"
  src tajik-text train.tsv "label${tab}lang${tab}text" "parstext_dr${tab}tg${tab}Фардо ҳаво гарм"
  src uzbek-sentiment manual_train.tsv "label${tab}lang${tab}text" "positive${tab}uz-Latn${tab}Juda yaxshi ilova"
  src tatoeba-uzbek-cyrillic train.tsv "label${tab}lang${tab}text" "tatoeba_sentence${tab}uz-Cyrl${tab}Бу китоб"
  src ud-treebanks-ky-uz-ru train.tsv "label${tab}lang${tab}text" "ud_ru_taiga_social${tab}ru${tab}Хорошая погода"
  src quran-translations train.tsv "label${tab}lang${tab}text${tab}id${tab}kind" \
    "benign${tab}uz-Cyrl${tab}Аллоҳ сабр қилувчилар билан${tab}2:153:x${tab}scripture" \
    "benign${tab}en${tab}Indeed, Allah is with the patient${tab}2:153:y${tab}scripture"
  src everyday-en-tweets train.tsv "label${tab}lang${tab}text${tab}id${tab}kind" \
    "none${tab}en${tab}@friend this coffee is the bomb lol${tab}s1${tab}everyday"
  src everyday-ru-vk train.tsv "label${tab}lang${tab}text${tab}id${tab}kind" \
    "none${tab}ru${tab}С праздником, братья и сестры!${tab}v1${tab}everyday"
  src radicalization-tt train.tsv "label${tab}lang${tab}text" \
    "non_radical${tab}en${tab}KKR won by 7 wickets #IPL" \
    "non_radical${tab}hi${tab}Cricket tonight" \
    "radical${tab}en${tab}A hashtag-collected tweet that must stay out"
}
mk_all
python3 datasets/recipes/default.py "$S" "$T/out" 2> "$T/err"
check "recipe on well-formed sources: exit 0" 0 $?
check "training rows: our whole train.tsv, each row once after removing its copies" \
  "$(($(wc -l < datasets/kuzat-set/train.tsv) - 1))" \
  "$(awk -F'\t' 'NR > 1 && $5 ~ /(^|\/)kuzat-set:/' "$T/out/train.tsv" | sort -u | wc -l)"
check "our rows, positives and negatives alike, are repeated the same number of times" 1 \
  "$(awk -F'\t' 'NR > 1 && $1 ~ /^ks-/ {n[$1]++} END {for (i in n) print n[i]}' "$T/out/train.tsv" |
     sort -u | wc -l)"
cut -f1 "$T/out/train.tsv" > "$T/train-ids"
check "no held-out row of ours is in training" "" \
  "$(awk -F'\t' 'FNR > 1 {print $1}' datasets/kuzat-set/test.tsv | grep -Fxf "$T/train-ids")"
# every twin (ks-LC-2NNN, 6NNN, 8NNN) shares the group NAME of its propaganda
# text (ks-LC-0NNN, 5NNN, 7NNN) and is on the same side of the split
twins=$(cat "$T/out/train.tsv" "$T/out/heldout.tsv" | awk -F'\t' '$1 ~ /^ks-[a-z]+-[025678][0-9][0-9][0-9]$/ {
  g = $5; sub(/^[a-z-]+\//, "", g); d = substr($1, length($1) - 3, 1)
  k = substr($1, 1, length($1) - 4) (d == "0" || d == "2" ? "a" : d == "5" || d == "6" ? "b" : "c") substr($1, length($1) - 2)
  key[k, (d == "2" || d == "6" || d == "8") ? "twin" : "text"] = g } END {
  n = 0; bad = 0
  for (p in key) { split(p, q, SUBSEP); if (q[2] == "twin") { n++; if (key[q[1], "text"] != key[p]) bad++ } }
  print n, bad }')
check "twins: one per propaganda text of ours, none in another group" \
  "$(awk -F'\t' 'NR > 1 && $3 ~ /propaganda/ && $1 ~ /-[057][0-9]+$/' datasets/kuzat-set/train.tsv datasets/kuzat-set/test.tsv | wc -l) 0" \
  "$twins"
awk -F'\t' 'NR > 1 {print $1}' "$T/out/heldout.tsv" > "$T/held-ids"
check "a twin is in the heldout set exactly when its propaganda text is" "" \
  "$(grep '^ks-[a-z]*-[268]' "$T/held-ids" |
     sed 's/-2\([0-9]*\)$/-0\1/; s/-6\([0-9]*\)$/-5\1/; s/-8\([0-9]*\)$/-7\1/' |
     grep -Fvxf "$T/held-ids")"
check "families: scripture, everyday tweets and VK posts are benign, with their family" \
  "${tab}scripture ${tab}tweets" \
  "$(grep -h -e 'patient' -e 'the bomb' -e 'С праздником' -e 'KKR' "$T/out/train.tsv" "$T/out/heldout.tsv" |
     awk -F'\t' '$1 !~ /^ks-/ {print $3 FS $6}' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "radicalization-tt: the radical side stays out, a Twitter-only lang code is left to langid" \
  "0 1" "$(cat "$T/out/train.tsv" "$T/out/heldout.tsv" | grep -c 'must stay out') $(cat "$T/out/train.tsv" "$T/out/heldout.tsv" |
     awk -F'\t' '$2 == "Cricket tonight" && $4 == ""' | wc -l)"
check "our markers are kept: a propaganda row of ours carries its marker" 1 \
  "$(awk -F'\t' '$1 == "ks-uzl-0001" {print $3}' "$T/out/train.tsv" | sort -u | grep -c '^propaganda,recruitment$')"
check "a retweet shares its original's group" 1 \
  "$(grep -h '^isis-twitter-en:.*caravan' "$T/out/train.tsv" "$T/out/heldout.tsv" | cut -f5 | sort -u | wc -l)"
check "persuasion 'propaganda' is a negative" "" \
  "$(grep -h 'Громкий заголовок' "$T/out/train.tsv" "$T/out/heldout.tsv" | cut -f3 | sort -u)"
python3 datasets/recipes/default.py "$S" "$T/out2" 2> /dev/null
check_file "the same sources give the same training set" "$T/out/train.tsv" "$T/out2/train.tsv"

printf 'weird%sen%sSomething\n' "$tab" "$tab" >> "$S/isis-twitter-en/train.tsv"
python3 datasets/recipes/default.py "$S" "$T/out" 2> "$T/err"
check "an unknown label: exit 1" 1 $?
grep -q "isis-twitter-en/train.tsv:5: label 'weird' is not one this recipe knows" "$T/err"
check "... naming the file, the line and the label" 0 $?

mk_all
printf 'radical-ish%sen%sSomething\n' "$tab" "$tab" >> "$S/radicalization-tt/train.tsv"
python3 datasets/recipes/default.py "$S" "$T/out" 2> "$T/err"
check "a new source's unknown label: exit 1, naming it" "1 1" \
  "$? $(grep -c "radicalization-tt/train.tsv:5: label 'radical-ish'" "$T/err")"

mk_all
src tajik-text train.tsv "label${tab}lang${tab}body" "parstext_dr${tab}tg${tab}Фардо"
python3 datasets/recipes/default.py "$S" "$T/out" 2> "$T/err"
check "a source without a text column: exit 1" 1 $?
grep -q "tajik-text/train.tsv: no text column" "$T/err"; check "... saying so" 0 $?
rm "$S/tajik-text/train.tsv"
python3 datasets/recipes/default.py "$S" "$T/out" 2> "$T/err"
check "a missing source: exit 1" 1 $?
grep -q "tajik-text/train.tsv is missing" "$T/err"; check "... naming it" 0 $?

kt_done
