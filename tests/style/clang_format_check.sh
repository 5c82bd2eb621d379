#!/usr/bin/env bash
# Fails when a C++ file of the project is not formatted as .clang-format says, and names the
# files. C++ only: CMake, Python and shell files are not clang-format's business.
#
# Usage: tests/style/clang_format_check.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"
command -v clang-format > /dev/null || { echo "clang-format is not installed" >&2; exit 1; }

# Every .cc/.h under the source folders; build trees and generated code are never looked at.
mapfile -d '' files < <(find agent common controller proto tests \
  \( -name 'build*' -o -name '.cache' \) -prune -o \
  -type f \( -name '*.cc' -o -name '*.h' \) -print0)
((${#files[@]})) || { echo "no C++ files found under $(pwd)" >&2; exit 1; }

bad=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" > /dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  echo "not clang-formatted (run: clang-format -i FILE):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "clang-format: ${#files[@]} C++ files clean"
