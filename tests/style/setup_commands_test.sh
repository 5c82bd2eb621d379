#!/usr/bin/env bash
# The README's set-up commands work as written for root (a minimal Debian image has no sudo) and
# for a user with sudo (issue 15): they are the scripts themselves, not `sudo SCRIPT`; as root a
# script goes on without sudo; as another user it runs itself again through sudo, with its
# arguments; without sudo it says it needs root. Needs root (to be root, and to become nobody);
# exits 77 (skipped) otherwise.
#
# Usage: setup_commands_test.sh REPO
set -euo pipefail
repo=$1
[[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# The commands of the README's first ```sh block under "## Set-up".
mapfile -t commands < <(awk '/^## Set-up/ {s=1} s && /^```sh/ {b=1; next} b && /^```/ {exit}
                             b && NF && !/^#/ {print}' "$repo/README.md")
((${#commands[@]} >= 2)) || fail "no set-up commands found in README.md"
for command in "${commands[@]}"; do
  script=${command%% *}
  [[ $script != sudo ]] || fail "README runs '$command': a minimal root image has no sudo"
  [[ -x $repo/$script ]] || fail "README runs '$command': $script is not an executable script"
  grep -q '^pathpair_as_root "\$@"' "$repo/$script" ||
    fail "$script does not run itself through sudo when it is not root (pathpair_as_root)"
done

work=$(mktemp -d /tmp/pp-setup.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir "$work/nosudo" "$work/fakesudo"
# A PATH with the tools the scripts use before they build, and no sudo.
for tool in bash env id dirname basename cat; do ln -s "$(command -v "$tool")" "$work/nosudo/$tool"; done
cp -a "$work/nosudo/." "$work/fakesudo/"
cat >"$work/fakesudo/sudo" <<'FAKE'
#!/bin/sh
echo "sudo $*" >"$SUDO_LOG"
exit 0
FAKE
chmod 755 "$work/fakesudo/sudo"

# Root, without sudo: demo.sh goes past its privilege check (and stops at the unknown scenario).
out=$(SCENARIO=no-such-scenario PATH=$work/nosudo "$repo/deploy/demo.sh" 2>&1) && status=0 || status=$?
[[ $status -eq 2 && $out == *"no scenario"* ]] ||
  fail "as root without sudo, deploy/demo.sh did not go on (exit $status): $out"

# Another user with sudo: the script runs itself again through sudo, with its arguments.
touch "$work/sudo.log"
chmod 666 "$work/sudo.log"
runuser -u nobody -- env PATH="$work/fakesudo" SUDO_LOG="$work/sudo.log" SCENARIO=no-such-scenario \
  "$repo/deploy/demo.sh" --json -c 3 || fail "deploy/demo.sh as nobody with sudo failed"
[[ $(cat "$work/sudo.log") == "sudo -- $repo/deploy/demo.sh --json -c 3" ]] ||
  fail "deploy/demo.sh as nobody did not rerun itself through sudo: $(cat "$work/sudo.log")"

# Another user without sudo: one clear line, exit 1.
out=$(runuser -u nobody -- env PATH="$work/nosudo" "$repo/tests/run-all.sh" 2>&1) && status=0 || status=$?
[[ $status -eq 1 && $out == *"needs root"* ]] ||
  fail "tests/run-all.sh as nobody without sudo: exit $status: $out"
echo "PASS"
