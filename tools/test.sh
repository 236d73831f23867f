#!/usr/bin/env bash
# The whole anemo test suite, from a fresh machine: installs what the tests need, then runs
# lint, typecheck, the docs site, the release check (build, then install by name from a local index),
# the server helper's tests, the full package x Python matrix (RESP3),
# the Redis packages again on RESP2 and again on valkey-server, and the demo.
# Extra arguments go to nox (e.g. `bash tools/test.sh -s "tests-3.12(hashring)"`).
set -euo pipefail
cd "$(dirname "$0")/.."

# What the tests use for real: Debian package -> a program or file it provides. The servers are
# started by the fixtures (PostgreSQL is Debian 12's, 15); libmemcached-dev lets pylibmc build (libmemcached's own hashing is the
# reference for anemo-hashring's compat mode); Chromium is the demo's end-to-end browser (Playwright
# drives it; it never downloads a browser of its own), and Noto CJK its font for the Chinese pages
# (without it Chromium draws boxes). The -doc packages hold the Sphinx inventories (objects.inv) of
# Python, Tornado, Pillow and cryptography, so the docs' links into them resolve with no network.
declare -A wanted=([redis-server]=redis-server [redis-tools]=redis-cli [memcached]=memcached
                   [postgresql]=/usr/lib/postgresql/15/bin/postgres
                   [libmemcached-dev]=/usr/include/libmemcached/memcached.h [chromium]=/usr/bin/chromium
                   [fonts-noto-cjk]=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
                   [python3.11-doc]=/usr/share/doc/python3.11/html/objects.inv
                   [python-tornado-doc]=/usr/share/doc/python-tornado-doc/html/objects.inv
                   [python-pil-doc]=/usr/share/doc/python-pil-doc/html/objects.inv
                   [python-cryptography-doc]=/usr/share/doc/python-cryptography-doc/html/objects.inv)
missing=()
for package in "${!wanted[@]}"; do
  provided=${wanted[$package]}
  if [[ $provided == /* ]]; then [[ -e $provided ]]; else command -v "$provided" >/dev/null 2>&1; fi ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${missing[*]} from Debian packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing ${missing[*]}; install them first: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# nox and uv in a private tool environment, so the machine's own Python stays untouched; pinned,
# like everything the sessions install, by constraints/pyX.Y.txt (`bash tools/test.sh -s lock`).
python=${PYTHON:-python3}
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [[ ! -f constraints/py$version.txt ]]; then
  echo "test.sh: $python is Python $version; anemo supports 3.11-3.13 (set PYTHON=python3.12, say)" >&2
  exit 1
fi
if [[ ! -x .tools/bin/nox ]]; then
  "$python" -m venv .tools
  .tools/bin/python -m pip install --quiet --disable-pip-version-check -c "constraints/py$version.txt" nox uv
fi

# The dev session runs uv itself: it finds this one (appended, so no interpreter is shadowed).
export PATH="$PATH:$PWD/.tools/bin"

if (($#)); then
  exec .tools/bin/nox "$@"
fi
rm -rf .nox/junit
status=0
.tools/bin/nox -s lint typecheck docs release testing tests resp2 valkey demo || status=$?
.tools/bin/python tools/summarize_junit.py .nox/junit
exit "$status"
