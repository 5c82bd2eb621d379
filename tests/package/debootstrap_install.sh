#!/usr/bin/env bash
# Acceptance of the Debian package: in a fresh Debian 12 root file system (debootstrap
# --variant=minbase, then chroot), `apt-get install ./pathpair_*.deb` installs it with its
# dependencies from the Debian mirror, and `pathpair --version` runs. Also checks what postinst
# does there: the pathpair system user, and cap_net_raw on /usr/bin/pathpair, first without
# setcap (libcap2-bin not installed: the install must still succeed, without the capability),
# then with it.
#
#   tests/package/debootstrap_install.sh PACKAGE.deb WORK_DIR
#
# WORK_DIR keeps the debootstrapped tree as a tarball (bookworm-minbase.tar) so that a second
# run in the same build directory skips debootstrap; CI starts from a fresh clone, so every CI
# run debootstraps anew. Needs root, debootstrap and the network (the Debian mirror).
# Exit 77 (skipped) without root; any failure exits 1 with the reason.
set -euo pipefail

deb=$(readlink -f "$1")
work=$(readlink -f "$2")
mirror=${PATHPAIR_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: needs root (debootstrap, chroot)"
  exit 77
fi
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
command -v debootstrap >/dev/null || fail "debootstrap is not installed (deploy/install-deps.sh)"
[[ -f $deb ]] || fail "no package at $1"

mkdir -p "$work"
tarball=$work/bookworm-minbase.tar
root=$(mktemp -d "$work/root.XXXXXX")
cleanup() {
  for m in proc; do
    mountpoint -q "$root/$m" && umount -l "$root/$m"
  done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT

if [[ -f $tarball ]]; then
  echo "== reusing $tarball"
  tar -C "$root" -xf "$tarball"
else
  echo "== debootstrap --variant=minbase bookworm ($mirror)"
  start=$SECONDS
  timeout 900 debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap failed (log: $work/debootstrap.log)"; }
  echo "   took $((SECONDS - start)) s"
  tar -C "$root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
fi

chmod 0755 "$root"  # it becomes / for the chroot: apt's _apt user and pathpair walk it
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

echo "== apt-get install --no-install-recommends ./$(basename "$deb") (no setcap)"
in_root apt-get update -qq || fail "apt-get update in the chroot"
out=$(in_root apt-get install -y --no-install-recommends "/tmp/$(basename "$deb")" 2>&1) ||
  { echo "$out" >&2; fail "apt-get install of the package (without recommends)"; }
echo "$out" | tail -3
in_root sh -c '! command -v setcap' >/dev/null || fail "setcap is present: the fallback is not tested"
grep -q "could not grant cap_net_raw" <<<"$out" || fail "postinst did not say that setcap is missing"

version=$(in_root pathpair --version) || fail "pathpair --version did not run"
echo "   pathpair --version: $version"
[[ $version == *"$(dpkg-deb -f "$deb" Version)"* ]] || fail "pathpair --version says '$version'"
in_root pathpair-agent --version | grep -q "pathpair-agent" || fail "pathpair-agent --version"

user=$(in_root getent passwd pathpair) || fail "postinst did not create the pathpair user"
uid=$(cut -d: -f3 <<<"$user")
((uid < 1000)) || fail "pathpair is not a system user: $user"
[[ $(cut -d: -f7 <<<"$user") == */nologin ]] || fail "pathpair has a login shell: $user"
/usr/bin/python3 - "$root/usr/bin/pathpair" <<'PY' || fail "the binary has capabilities without setcap"
import os, sys
try:
    os.getxattr(sys.argv[1], "security.capability")
    sys.exit(1)
except OSError:
    sys.exit(0)
PY
[[ -f $root/etc/pathpair/agent.conf && -f $root/lib/systemd/system/pathpair-agent.service ]] ||
  fail "the unit or the agent's flags file is missing"

echo "== with libcap2-bin, postinst grants cap_net_raw"
in_root apt-get install -y --no-install-recommends libcap2-bin >/dev/null || fail "install libcap2-bin"
in_root /var/lib/dpkg/info/pathpair.postinst configure || fail "postinst configure (again)"
caps=$(in_root getcap /usr/bin/pathpair)
echo "   getcap: $caps"
[[ $caps == *cap_net_raw=ep* ]] || fail "postinst did not grant cap_net_raw: '$caps'"
in_root setpriv --reuid=pathpair --regid=pathpair --clear-groups pathpair --version >/dev/null ||
  fail "pathpair --version as the pathpair user"

echo "== apt-get purge"
in_root apt-get purge -y pathpair >/dev/null || fail "apt-get purge pathpair"
[[ ! -e $root/usr/bin/pathpair && ! -e $root/etc/pathpair/agent.conf ]] || fail "purge left files"
echo "PASS"
