#!/usr/bin/env bash
# Smoke test of the package as users get it (`make smoke`): build the wheel, install it (not
# editable) in a fresh venv, index seeds/, serve, and fetch the page, its assets and the API.
# The editable .venv of `make install` reads files from the checkout, so it hides whatever the
# wheel leaves out (search/web/static and templates once). Needs python3, curl, git and PyPI.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/smoke-wheel.XXXXXX")"
SERVER_PID=""
PASSED=0  # checks passed; the closing "smoke: N passed, N failed" line is what CI reads

step() { echo "smoke: $*"; }
ok() { PASSED=$((PASSED + 1)); step "ok $*"; }
fail() { echo "smoke: FAIL: $*" >&2; echo "smoke: $PASSED passed, 1 failed"; exit 1; }

stop_server() {  # SIGTERM: uvicorn drains for up to 10 s (search.web.stack); fails if KILL needed
  local pid=$SERVER_PID gone=0
  SERVER_PID=""
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || { gone=1; break; }; sleep 0.25; done
  [ "$gone" = 1 ] || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "$gone" = 1 ]
}
cleanup() {  # on any exit: stop the server, show its log if we failed, remove every temp dir
  local status=$?
  stop_server || true
  if [ "$status" -ne 0 ] && [ -s "$WORK/server.log" ]; then
    echo "--- last lines of the server's log ---" >&2; tail -n 30 "$WORK/server.log" >&2
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # so that the EXIT trap runs on Ctrl-C or a CI timeout too

# 1. Build from a copy of the tree (tracked and new files, nothing .gitignore'd), as from a
# fresh clone: setuptools reuses a build/ dir beside pyproject.toml, and a stale one could put
# files in the wheel that the current configuration leaves out. pip builds in an isolated
# environment with the setuptools that pyproject's [build-system] asks for.
step "building the wheel"
mkdir "$WORK/src" "$WORK/run"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard \
  | tar --null -T - --ignore-failed-read --warning=no-failed-read -cf -) \
  | tar -xf - -C "$WORK/src" || fail "could not copy the checkout (is $REPO a git checkout?)"
"$PYTHON" -m venv "$WORK/venv" || fail "'$PYTHON -m venv' failed (Debian: python3-venv)"
VPY="$WORK/venv/bin/python"
"$VPY" -m pip wheel -v --no-deps "$WORK/src" -w "$WORK/dist" >"$WORK/build.log" 2>&1 \
  || { tail -n 40 "$WORK/build.log" >&2; fail "building the wheel (log above)"; }
# setuptools announces removals (e.g. the old `license = {text=...}` table) as deprecations
if grep -i "deprecat" "$WORK/build.log" >&2; then
  fail "building the wheel printed deprecation warnings (above)"
fi
WHEEL="$(ls "$WORK"/dist/*.whl)"

# 2. The wheel holds the web UI's files and only the search package (no tests/, benchmarks/).
"$VPY" - "$WHEEL" "$WORK/src" <<'EOF' || fail "wheel contents (above)"
import pathlib, sys, zipfile
names, src = set(zipfile.ZipFile(sys.argv[1]).namelist()), pathlib.Path(sys.argv[2])
web = [p for d in ("static", "templates") for p in (src / "search/web" / d).rglob("*") if p.is_file()]
wanted = {"search/py.typed", *(p.relative_to(src).as_posix() for p in web)}
tops = {n.split("/")[0] for n in names if ".dist-info/" not in n}  # top-level packages
for problem, found in (("missing from the wheel", wanted - names), ("not search/", tops - {"search"})):
    if found: print(f"{problem}:", *sorted(found), file=sys.stderr)
sys.exit(bool(wanted - names) or tops != {"search"})
EOF
ok "wheel $(basename "$WHEEL") has static/, templates/ and only search/"

# 3. Install it with its pinned dependencies; run from a directory outside the checkout so
# that nothing can be imported from the source tree by accident.
step "installing the wheel in a fresh virtual environment"
"$VPY" -m pip install --quiet "$WHEEL" || fail "pip install of the wheel"
cd "$WORK/run"
unset PYTHONPATH SEARCH_INDEX
where="$("$VPY" -c 'import search; print(search.__file__)')" || fail "import search (installed)"
[[ "$where" == "$WORK/venv/"* ]] || fail "search imported from $where, not from the fresh venv"
SEARCH="$WORK/venv/bin/search"

step "indexing $REPO/seeds"
"$SEARCH" rebuild-index --seeds "$REPO/seeds" --index "$WORK/index" || fail "search rebuild-index"

# 4. Serve on a free loopback port and wait for /healthz (import errors show up here).
PORT="$("$VPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
"$SEARCH" serve --index "$WORK/index" --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for i in $(seq 120); do  # 30 s
  kill -0 "$SERVER_PID" 2>/dev/null || fail "search serve exited before answering /healthz"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] && break
  [ "$i" -lt 120 ] || fail "/healthz did not answer 200 within 30 s"
  sleep 0.25
done
ok "serving on $BASE (/healthz 200)"

# fetch PATH TYPE BODY: GET PATH; want status 200, a content-type matching the regex TYPE and
# a body with a line matching the regex BODY. The body is left in $WORK/body.
fetch() {
  local meta
  meta="$(curl -sS --max-time 20 -o "$WORK/body" -w '%{http_code} %{content_type}' "$BASE$1")" \
    || fail "GET $1: no answer"
  [ "${meta%% *}" = 200 ] || fail "GET $1: status ${meta%% *}, wanted 200"
  [[ "${meta#* }" =~ $2 ]] || fail "GET $1: content-type '${meta#* }', wanted /$2/"
  grep -qE -- "$3" "$WORK/body" || fail "GET $1: body has no match for /$3/"
  ok "GET $1 (${meta#* }, $(wc -c <"$WORK/body") bytes)"
}

# 5. The page, then every /static/ asset it references (they 404 if left out of the wheel).
fetch / '^text/html' '<form'
assets="$(grep -oE '(href|src)="/static/[^"]+"' "$WORK/body" \
  | sed -E 's/^[a-z]+="//; s/"$//' | sort -u)"
[ -n "$assets" ] || fail "the page references no /static/ assets"
for asset in $assets; do
  case "${asset%%\?*}" in
    *.css) fetch "$asset" '^text/css' '\{' ;;
    *.js) fetch "$asset" '^(text|application)/javascript' '.' ;;
    *.svg) fetch "$asset" '^image/svg\+xml' '<svg' ;;
    *) fetch "$asset" '.' '.' ;;
  esac
done
fetch '/api/search?q=ai' '^application/json' '"total": ?[1-9]'  # seeds/ has matches for "ai"
fetch /openapi.json '^application/json' '"openapi"'

stop_server || fail "search serve did not stop within 15 s of SIGTERM"
ok "server stopped on SIGTERM (temp dirs are removed on exit)"
echo "smoke: $PASSED passed, 0 failed"
