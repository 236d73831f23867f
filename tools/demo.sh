#!/usr/bin/env bash
# Runs the demo app on its embedded defaults: in-memory sessions and captchas, users in a SQLite
# file under .anemo-demo/, no server to install. The first run makes .venv-demo, saying what it
# does (19-25 s measured here, more on a slow network or machine); later runs start in about a
# second. Options go to the app: `bash tools/demo.sh --help`.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-demo
python=${PYTHON:-python3}
say() { echo "demo.sh: $*" >&2; }

# Reinstall only when a pyproject.toml changed; the packages are editable, so code changes are live.
wanted=$(cat packages/*/pyproject.toml demo-app/pyproject.toml | sha256sum | cut -d' ' -f1)
installed=false
if [[ -x $venv/bin/python && "$(cat "$venv/.installed" 2>/dev/null)" == "$wanted" ]]; then
  installed=true
fi

# --help answers at once: the app's own help when it can run (even from an older install), and
# otherwise what the first run will do.
if ! $installed; then
  for arg in "$@"; do
    if [[ $arg == -h || $arg == --help ]]; then
      if [[ -x $venv/bin/python ]] && "$venv/bin/python" -m anemo_demo --help 2>/dev/null; then
        exit 0
      fi
      cat <<EOF
usage: bash tools/demo.sh [OPTION ...]

Runs the anemo demo on http://127.0.0.1:8888/: in-memory sessions and captchas, no server needed.
Every option goes to the app (for example --port 9000, --debug, --session-store URL, --processes N).

The demo is not installed yet. The first run of \`bash tools/demo.sh\` installs it into $venv
(19-25 s measured here, more on a slow network or machine), then starts it; after that,
\`bash tools/demo.sh --help\` lists every option and its environment variable.
EOF
      exit 0
    fi
  done
fi

# One line per step of pip's work: the seven packages it builds, the dependencies it fetches.
progress() {
  local line what name version
  while IFS= read -r line; do
    case $line in
      Obtaining\ *) say "  building ${line#Obtaining file://"$PWD"/} (editable)" ;;
      Collecting\ * | Processing\ *)
        what=${line#* }
        what=${what%% (from*}
        what=${what##*/}
        [[ $what == *.whl ]] && IFS=- read -r name version _ <<<"$what" && what="$name $version"
        say "  fetching $what"
        ;;
      Installing\ collected\ packages*) say "  installing them into $venv" ;;
    esac
  done
}

if ! $installed; then
  started=$SECONDS
  say "first run: installing the demo and the six anemo packages into $venv: 19-25 s measured"
  say "here, more on a slow network or machine. Later runs start in about a second."
  say "[1/3] creating the virtual environment $venv with $python"
  "$python" -m venv "$venv"
  say "[2/3] pip: building the seven packages, fetching their dependencies (its errors show as they come)"
  # In-repo packages in the same command, so pip never asks an index for an anemo-* name.
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
    -e "packages/signedvalue[encrypt,tornado]" -e packages/hashring -e "packages/tmpl[tornado]" \
    -e "packages/formvalidate[images,tornado]" -e "packages/captcha[redis,tornado]" \
    -e "packages/sessions[redis,memcached,tornado]" -e demo-app | progress
  echo "$wanted" > "$venv/.installed"
  say "[3/3] installed in $((SECONDS - started)) s; starting the demo"
fi
exec "$venv/bin/python" -m anemo_demo "$@"
