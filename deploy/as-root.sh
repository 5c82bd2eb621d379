# Sourced by the set-up scripts (deploy/demo.sh, tests/run-all.sh) so that the README's commands
# work as written for root (a minimal Debian image has no sudo) and for a user with sudo: as
# root the script goes on; otherwise it runs itself again through sudo, or says what it needs.
#
#   source "$(dirname "$0")/../deploy/as-root.sh"
#   pathpair_as_root "$@"
pathpair_as_root() {
  [[ $(id -u) -eq 0 ]] && return 0
  if ! command -v sudo >/dev/null 2>&1; then
    echo "$(basename "$0"): needs root (network namespaces, packages): run it as root" >&2
    exit 1
  fi
  exec sudo -- "$0" "$@"
}
