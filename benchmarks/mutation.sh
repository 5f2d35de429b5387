#!/usr/bin/env bash
# Mutation score of the engine modules with cosmic-ray; see benchmarks/mutation.md.
#
#   benchmarks/mutation.sh [--every N] [--offset K] [MODULE ...]   sample, run, report
#   benchmarks/mutation.sh --rerun-survivors                       run the survivors again
#
# Why a worktree: cosmic-ray mutates the files in place and reverts them, so it runs in a
# throwaway checkout of HEAD (committed state), never in the tree being edited.  The
# sessions are kept in $MUTATION_WORKDIR (default /tmp/flagcheck-mutation), so a run can be
# resumed (exec only runs pending mutants) and its survivors re-run after tests were added;
# re-run at the same product commit, since a mutant is stored as operator + occurrence.
set -euo pipefail
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
py=${PYTHON:-$repo/.venv/bin/python}
[[ -x $py ]] || py=python3
work=${MUTATION_WORKDIR:-/tmp/flagcheck-mutation}
"$py" -c 'import cosmic_ray' 2>/dev/null || "$py" -m pip install --quiet cosmic-ray
wt=$(mktemp -d /tmp/flagcheck-mutation-tree.XXXXXX)
git -C "$repo" worktree add --quiet --detach "$wt" HEAD
trap 'git -C "$repo" worktree remove --force "$wt"' EXIT
cd "$wt"
# flagcheck.* must import this tree (the editable install points at the main checkout):
# a package of symlinks here comes first on sys.path (pytest's pythonpath = ["."])
mkdir flagcheck && touch flagcheck/__init__.py
for p in checker pyspec tlamodel specs; do ln -s "../$p" "flagcheck/$p"; done
if [[ ${1:-} == --rerun-survivors ]]; then
    "$py" benchmarks/mutation.py rerun-survivors --workdir "$work"
else
    "$py" benchmarks/mutation.py init --workdir "$work" "$@"
fi
nice -n 19 "$py" benchmarks/mutation.py exec --workdir "$work"
"$py" benchmarks/mutation.py report --workdir "$work"
