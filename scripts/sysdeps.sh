#!/usr/bin/env bash
# The Debian packages the test suite needs (`make sysdeps`; `make test` runs it first), installed
# with apt-get when missing, as root or through sudo. Learners never need this: `make demo` and
# `make lab` install nothing system-wide.
#
#   openjdk-17-jre-headless  Java for PySpark (the Spark notebook and its tests), when no Java 17+
#   chromium                 the browser tests (tests/test_browser.py drives /usr/bin/chromium
#                            with Playwright; `playwright install` is never needed)
#   postgresql               a PostgreSQL server for the shared-gradebook tests
#   bubblewrap               `bwrap`, the sandbox every grading kernel runs in
#   python3-venv             only when $PYTHON cannot create a venv (Debian splits ensurepip out)
#
# Safe to run again; does nothing when everything is there. `--list` prints what is missing and
# installs nothing. SYSDEPS_ROOT (tests only) probes the files under another root folder.
set -euo pipefail

root="${SYSDEPS_ROOT:-}"
python="${PYTHON:-python3}"

# The major version of the `java` on PATH (8 for "1.8.0_392"), 0 when there is none.
java_major() {
  command -v java >/dev/null 2>&1 || { echo 0; return; }
  local major minor
  read -r major minor < <(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\.\{0,1\}\([0-9]*\).*/\1 \2/p' | head -n 1) || true
  if [ "${major:-0}" = 1 ]; then echo "${minor:-0}"; else echo "${major:-0}"; fi
}

missing=()
if [ "$(java_major)" -lt 17 ]; then missing+=(openjdk-17-jre-headless); fi
if [ ! -x "$root/usr/bin/chromium" ]; then missing+=(chromium); fi
if ! compgen -G "$root/usr/lib/postgresql/*/bin/initdb" >/dev/null; then missing+=(postgresql); fi
if [ ! -x "$root/usr/bin/bwrap" ]; then missing+=(bubblewrap); fi
if ! "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then missing+=(python3-venv); fi

if [ "${1:-}" = "--list" ]; then
  [ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}"
  exit 0
fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "the test suite needs: ${missing[*]} (no apt-get here: install them with your package manager)" >&2
  exit 1
fi
as_root=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "the test suite needs: ${missing[*]} (run \`make sysdeps\` as root: there is no sudo here)" >&2
    exit 1
  fi
  as_root="sudo"
fi
echo "installing the test suite's system packages: ${missing[*]}"
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
