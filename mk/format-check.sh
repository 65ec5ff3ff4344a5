#!/bin/bash
# Every C source and header git tracks is clang-format clean (.clang-format).
set -euo pipefail
mapfile -t files < <(git ls-files '*.c' '*.h')
clang-format --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
