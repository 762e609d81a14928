#!/bin/sh
# After `make install`: refresh the dynamic linker's cache so that programs
# linked with -lkuzat (and the Python package's system look-up) find
# libkuzat.so.1 in LIBDIR, or say how to. A staged install (DESTDIR set) is
# left to the packager.
#   scripts/ldconfig.sh DESTDIR LIBDIR
D=$1 LIBDIR=$2
[ -z "$D" ] || exit 0
LDCONFIG=$(command -v ldconfig || echo /sbin/ldconfig)
if [ "$(id -u)" != 0 ]; then
  echo "kuzat: now run 'sudo ldconfig' so that programs find $LIBDIR/libkuzat.so.1"
  exit 0
fi
"$LDCONFIG" || { echo "kuzat: ldconfig failed: run it again as root" >&2; exit 0; }
if ! "$LDCONFIG" -p | grep -q "=> $LIBDIR/libkuzat.so.1\$"; then
  echo "kuzat: $LIBDIR is not searched by the dynamic linker: add it to"
  echo "  /etc/ld.so.conf.d/kuzat.conf and run ldconfig, or set LD_LIBRARY_PATH"
  echo "  (kuzat-classify and the Python package find the library without it)"
fi
