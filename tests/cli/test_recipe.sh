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
}
mk_all
python3 datasets/recipes/default.py "$S" "$T/out" 2> "$T/err"
check "recipe on well-formed sources: exit 0" 0 $?
check "training rows: 11 shared rows, minus the held-out fifth, plus our set x8" \
  "$(($(wc -l < datasets/kuzat-set/train.tsv) - 1))" \
  "$(awk -F'\t' 'NR > 1 && $5 ~ /^kuzat-set:/' "$T/out/train.tsv" | sort -u | wc -l)"
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
src tajik-text train.tsv "label${tab}lang${tab}body" "parstext_dr${tab}tg${tab}Фардо"
python3 datasets/recipes/default.py "$S" "$T/out" 2> "$T/err"
check "a source without a text column: exit 1" 1 $?
grep -q "tajik-text/train.tsv: no text column" "$T/err"; check "... saying so" 0 $?
rm "$S/tajik-text/train.tsv"
python3 datasets/recipes/default.py "$S" "$T/out" 2> "$T/err"
check "a missing source: exit 1" 1 $?
grep -q "tajik-text/train.tsv is missing" "$T/err"; check "... naming it" 0 $?

kt_done
