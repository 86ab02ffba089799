#!/usr/bin/env bash
# Installs the peer generators bench/run.py times beside explainer:
#   bash scripts/install-bench-tools.sh
#
# * Eleventy 3.1.8 (@11ty/eleventy), from npm, with `npm ci` into bench/tools/node_modules/
#   (the versions of bench/tools/package-lock.json; node_modules/ is git-ignored). Nothing is
#   installed globally and nothing outside bench/tools/ is written.
#
# bench/run.py then finds Eleventy there by itself (bench/tools/node_modules/@11ty/eleventy/cmd.cjs);
# ELEVENTY=path/to/cmd.cjs points it at another copy. Hugo is not installed here: bench/run.py
# runs the `hugo` on the PATH (or HUGO=path) when there is one.
#
# Benchmarking only: the test command (scripts/test.sh) never runs this.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v npm >/dev/null 2>&1 || { echo "install-bench-tools.sh: npm is needed (Debian: apt-get install npm)" >&2; exit 1; }
npm ci --prefix bench/tools --no-audit --no-fund --loglevel=error
cli=bench/tools/node_modules/@11ty/eleventy/cmd.cjs
version=$(node "$cli" --version)
echo "Eleventy $version installed: $cli"
echo "bench/run.py finds it there by itself (or set ELEVENTY=path/to/cmd.cjs); for example:"
echo "  python bench/run.py --sizes 1000,4000 --repeat 3"
