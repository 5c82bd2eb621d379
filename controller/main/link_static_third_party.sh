#!/bin/sh
# Link launcher (CMake RULE_LAUNCH_LINK) of the `pathpair` executable: runs the link command it
# is given with each third-party shared library replaced by its static archive from the same
# Debian -dev package, where there is one (libfoo.so[.N] -> libfoo.a; -lre2 -> libre2.a).
# Why: `pathpair trace` is a short-lived mtr drop-in, and loading and relocating ~60 shared
# libraries (gRPC, protobuf, Abseil, OpenSSL, ...) cost ~8 ms of CPU per run, a quarter of a
# `-c 300 -i 0.01` trace on a 4-hop path (tests/bench, docs/BENCHMARKS.md); linked this way,
# the process starts in ~1.35 ms.
# Kept shared: glibc (-ldl, -lm, -lrt, -lpthread); the libraries whose embedded copies Debian's
# lintian reports as errors (zlib, ncurses and its form/tinfo parts; the package test runs
# lintian); libpq, whose archive needs PostgreSQL's internal libpgcommon/libpgport and the
# GSSAPI and LDAP libraries besides; and OpenSSL, which libpq loads shared (one copy in the
# process).
#
#   set_target_properties(pathpair PROPERTIES RULE_LAUNCH_LINK "sh link_static_third_party.sh")
set -eu

compiler=$1
count=$#
i=0
while [ "$i" -lt "$count" ]; do
  argument=$1
  shift
  i=$((i + 1))
  case "$argument" in
    */libz.so* | */libncurses*.so* | */libform*.so* | */libtinfo.so* | */libpq.so* | */libssl.so* | \
      */libcrypto.so*)
      set -- "$@" "$argument"
      ;;
    /*.so | /*.so.[0-9]*)
      archive="${argument%%.so*}.a"
      if [ -f "$archive" ]; then set -- "$@" "$archive"; else set -- "$@" "$argument"; fi
      ;;
    -lre2)
      found=$("$compiler" -print-file-name=libre2.a)
      if [ "$found" != libre2.a ]; then set -- "$@" "$found"; else set -- "$@" "$argument"; fi
      ;;
    *)
      set -- "$@" "$argument"
      ;;
  esac
done
exec "$@"
