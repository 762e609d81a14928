# Bounded memory on large input, in `make test`: tests/cli/stream_2gb.sh
# with 200 MB through a pipe (one line; JSON Lines with 5 MB records) and
# 16 MB of short lines (scoring them takes most of the time). The 2 GB run
# is by hand: tests/cli/stream_2gb.sh BUILD.
KUZAT_NO_INSTALL=1 KUZAT_STREAM_LINES_MB=16 exec sh "$(dirname "$0")/stream_2gb.sh" "${KUZAT_BUILD:-build}" 200
