#!/usr/bin/env bash
# The project's test command: bash scripts/test.sh [pytest arguments...]
#                   or, to install everything and run nothing: bash scripts/test.sh --install-only
#
# 1. Installs the system tools the tests drive, from Debian's packages:
#      chromium              -> /usr/bin/chromium (browser tests, axe-core)
#      default-jre-headless  -> java (the Nu HTML checker, jing)
#      jing                  -> RELAX NG validation of the Atom feed
#      npm (with nodejs)     -> Lighthouse (tests/test_browser.py)
#    Skipped when the commands chromium, java, jing and npm all exist already.
#    On a machine that has only some of them (a GitHub-hosted Ubuntu runner
#    ships chromium and java), only the missing packages are installed.
# 2. Creates .venv (python3 -m venv) if it does not exist.
# 3. Installs the project with its test extras into it: pip install -e '.[test]'.
# 4. Installs Lighthouse 12.2.3 from npm into tests/lighthouse/node_modules (npm ci: the
#    versions of tests/lighthouse/package-lock.json; node_modules/ is git-ignored).
# 5. Runs .venv/bin/python -m pytest "$@".
#
# Never downloads a browser build of its own (no `playwright install`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'test.sh [%ss]: %s\n' "$SECONDS" "$*"; }

# --- 1. system packages ---------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v jing >/dev/null 2>&1 || missing+=(jing)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -eq 0 ]; then
  say "chromium, java, jing and npm are already installed; skipping apt-get"
else
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    say "error: need root (or sudo) to apt-get install: ${missing[*]}" >&2
    exit 1
  fi
  say "installing system packages with apt-get: ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

for cmd in chromium java jing node npm; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    say "error: '$cmd' is still not on PATH after the install step" >&2
    exit 1
  fi
done

# --- 2. virtual environment -----------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $(command -v python3) ($(python3 --version 2>&1))"
  python3 -m venv .venv
else
  say "using existing .venv ($(.venv/bin/python --version 2>&1))"
fi

# --- 3. Python packages ---------------------------------------------------
say "installing the project and its test dependencies: pip install -e '.[test]'"
.venv/bin/python -m pip install -qq --disable-pip-version-check -e '.[test]'

# --- 4. Node packages (Lighthouse) ------------------------------------------
say "installing Lighthouse: npm ci in tests/lighthouse"
npm ci --prefix tests/lighthouse --no-audit --no-fund --loglevel=error

# --- 5. tests -------------------------------------------------------------
if [ "${1:-}" = "--install-only" ]; then
  say "installed; not running the tests (--install-only)"
  exit 0
fi
say "running: .venv/bin/python -m pytest $*"
exec .venv/bin/python -m pytest "$@"
