#!/usr/bin/env bash
# Print the path of the first interpreter that runs among the versions given (newest first), or nothing.
#   scripts/python.sh 3.14 3.13 3.12 3.11   -> e.g. /root/.pyenv/versions/3.13.0/bin/python3.13
# Looks on PATH and under pyenv's versions folder. A pyenv shim on PATH exists for every installed
# version but fails unless that version is selected, so each candidate must actually run to count.
set -uo pipefail

pyenv_root="${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}"

runs() { [ -n "$1" ] && [ -x "$1" ] && "$1" -c 'import sys, venv' >/dev/null 2>&1; }

for version in "$@"; do
  candidates=("$(command -v "python$version" 2>/dev/null)")
  # Newest patch release first.
  for dir in $(ls -d "$pyenv_root"/versions/"$version".* 2>/dev/null | sort -rV); do
    candidates+=("$dir/bin/python$version")
  done
  for candidate in "${candidates[@]}"; do
    if runs "$candidate"; then echo "$candidate"; exit 0; fi
  done
done
exit 0
