#!/bin/sh
# Link launcher (CMake RULE_LAUNCH_LINK) of the `pathpair` executable: runs the link command it
# is given with each third-party shared library replaced by its static archive from the same
# Debian -dev package, where there is one (libfoo.so[.N] -> libfoo.a; -lfoo -> -l:libfoo.a).
# glibc (-ldl, -lm, -lrt, -lpthread) stays shared. Why: `pathpair trace` is a short-lived
# mtr drop-in, and loading and relocating ~60 shared libraries (gRPC, protobuf, Abseil, OpenSSL,
# ...) cost ~8 ms of CPU per run, more than the probing of `-c 300 -i 0.01` on a 4-hop path
# (tests/bench, docs/BENCHMARKS.md); linked this way, the process starts in ~1.6 ms.
#
#   set_target_properties(pathpair PROPERTIES RULE_LAUNCH_LINK "sh link_static_third_party.sh")
set -eu

static_archive() {  # $1: a shared library's path; prints its archive's path, or nothing
  case "$1" in
    /*.so | /*.so.[0-9]*)
      archive="${1%%.so*}.a"
      if [ -f "$archive" ]; then printf '%s' "$archive"; fi
      ;;
  esac
}

compiler=$1
count=$#
i=0
while [ "$i" -lt "$count" ]; do
  argument=$1
  shift
  i=$((i + 1))
  case "$argument" in
    /*.so | /*.so.[0-9]*)
      archive=$(static_archive "$argument")
      set -- "$@" "${archive:-$argument}"
      ;;
    -lncurses | -lre2 | -lz)
      name=lib${argument#-l}.a
      found=$("$compiler" -print-file-name="$name")
      if [ "$found" != "$name" ]; then
        set -- "$@" "$found"
        # The shared libncurses pulls libtinfo in by itself; the archive does not.
        if [ "$name" = libncurses.a ]; then set -- "$@" "$("$compiler" -print-file-name=libtinfo.a)"; fi
      else
        set -- "$@" "$argument"
      fi
      ;;
    *)
      set -- "$@" "$argument"
      ;;
  esac
done
exec "$@"
