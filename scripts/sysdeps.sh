#!/usr/bin/env bash
# Install the Debian packages certlab needs when they are missing: a Java runtime (17 or later)
# for PySpark, and Chromium for the browser tests (tests/test_browser.py drives it with
# Playwright; `playwright install` is never needed). Safe to run again; does nothing when
# everything is there.
set -euo pipefail

java_major() {
  command -v java >/dev/null 2>&1 || { echo 0; return; }
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}

missing=()
if [ "$(java_major)" -lt 17 ] 2>/dev/null; then missing+=(openjdk-17-jre-headless); fi
if [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
# PostgreSQL server: the shared-gradebook tests start one on loopback.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql); fi

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "certlab needs: ${missing[*]} (no apt-get here: install them with your package manager)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
