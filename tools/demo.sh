#!/usr/bin/env bash
# Runs the demo app on its embedded defaults: in-memory sessions and captchas, users in a SQLite
# file under .anemo-demo/, no server to install. The first run makes .venv-demo (a minute or so);
# later runs start in seconds. Options go to the app: `bash tools/demo.sh --help`.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-demo
python=${PYTHON:-python3}
# Reinstall only when a pyproject.toml changed; the packages are editable, so code changes are live.
wanted=$(cat packages/*/pyproject.toml demo-app/pyproject.toml | sha256sum | cut -d' ' -f1)
if [[ ! -x $venv/bin/python || "$(cat "$venv/.installed" 2>/dev/null)" != "$wanted" ]]; then
  echo "demo.sh: installing the demo and the six packages into $venv" >&2
  "$python" -m venv "$venv"
  # In-repo packages in the same command, so pip never asks an index for an anemo-* name.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -e "packages/signedvalue[encrypt,tornado]" -e packages/hashring -e "packages/tmpl[tornado]" \
    -e "packages/formvalidate[images,tornado]" -e "packages/captcha[redis,tornado]" \
    -e "packages/sessions[redis,memcached,tornado]" -e demo-app
  echo "$wanted" > "$venv/.installed"
fi
exec "$venv/bin/python" -m anemo_demo "$@"
