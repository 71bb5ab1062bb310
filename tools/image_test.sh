#!/bin/sh
# `make image-test`: the built image serves, refuses what it should, is healthy, runs as
# non-root, and passes the contract suite run from the image itself. Not part of `make test`.
set -eu
CONTAINER=${CONTAINER:-podman}
IMAGE=${IMAGE:-learninglogin-mockserver:latest}
PORT=$(python3 -c 'import random; print(random.randint(40000, 60000))')
TOKEN=image-test-$(python3 -c 'import secrets; print(secrets.token_hex(8))')
NAME=mockserver-image-test-$$
URL=http://127.0.0.1:$PORT/api/train_sessions
fail() { echo "image-test: FAIL: $*" >&2; exit 1; }
cleanup() { $CONTAINER rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
get() {  # get URL [HEADER]: "status body" of a GET, from the host
    python3 - "$@" <<'PY'
import sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1], headers=dict([sys.argv[2].split(": ", 1)]) if len(sys.argv) > 2 else {})
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        print(response.status, response.read()[:60].decode("utf-8", "replace"))
except urllib.error.HTTPError as error:
    print(error.code, error.read()[:60].decode("utf-8", "replace"))
except OSError as error:
    print(0, error)
PY
}

echo "image-test: 1. without a token the image refuses to serve on 0.0.0.0 (one line, exit 2)"
set +e
refused=$($CONTAINER run --rm --no-healthcheck "$IMAGE" 2>&1); code=$?
set -e
[ "$code" = 2 ] || fail "expected exit 2 without MOCKSERVER_TOKENS, got $code: $refused"
[ "$(printf '%s\n' "$refused" | grep -c .)" = 1 ] || fail "expected one line, got: $refused"
echo "  $refused"

echo "image-test: 2. run -p $PORT:3000 with MOCKSERVER_TOKENS"
# podman without systemd cannot schedule the health timer (it says so on stderr); step 4 runs the check itself
$CONTAINER run -d --name "$NAME" -p "127.0.0.1:$PORT:3000" -e MOCKSERVER_TOKENS="$TOKEN" "$IMAGE" >/dev/null 2>&1 || fail "cannot start the container"
i=0
until [ "$(get "$URL/1" | cut -d' ' -f1)" = 401 ]; do
    i=$((i + 1)); [ $i -lt 60 ] || { $CONTAINER logs "$NAME" >&2; fail "not answering on :$PORT after 30 s"; }
    sleep 0.5
done
answer=$(get "$URL?full_name_cont=a" "Authorization: Token token=\"$TOKEN\"")
[ "${answer%% *}" = 200 ] || fail "index with the token: $answer"
echo "  index with the token: $answer..."
answer=$(get "$URL")
[ "${answer%% *}" = 401 ] || fail "index without a token: $answer"
echo "  index without a token: $answer"
answer=$(get "$URL" 'Authorization: Token token="dev-token"')
[ "${answer%% *}" = 401 ] || fail "the dev-token must not work in the image: $answer"

echo "image-test: 3. non-root"
uid=$($CONTAINER exec "$NAME" id -u)
[ "$uid" != 0 ] || fail "runs as root"
echo "  uid $uid"

echo "image-test: 4. healthcheck"
$CONTAINER healthcheck run "$NAME" >/dev/null 2>&1 || $CONTAINER inspect --format '{{json .State.Health}}' "$NAME" | grep -q '"Status":"healthy"' \
    || fail "healthcheck failed"
echo "  healthy"

echo "image-test: 5. the contract suite, run from the image, against the container; its reports"
echo "  reach a mounted directory (docs/getting-started.md: --user and -w)"
REPORTS=$(mktemp -d)
trap 'cleanup; rm -rf "$REPORTS"' EXIT INT TERM
# rootless podman maps the container's uids to subordinate ones: keep-id makes yours the same inside
USERNS=
if $CONTAINER info --format '{{.Host.Security.Rootless}}' 2>/dev/null | grep -qx true; then USERNS=--userns=keep-id; fi
$CONTAINER run --rm --no-healthcheck --network host $USERNS --user "$(id -u):$(id -g)" -v "$REPORTS:/reports" -w /reports \
    -e MOCKSERVER_API_TOKEN="$TOKEN" "$IMAGE" contract "$URL" -q --junitxml=contract.xml --report contract.md \
    || fail "contract suite"
[ -s "$REPORTS/contract.xml" ] && [ -s "$REPORTS/contract.md" ] || fail "no report in the mounted directory"
echo "  $(sed -n 3p "$REPORTS/contract.md")"
echo "image-test: 6. an unwritable report directory is one line, exit 2"
set +e
refused=$($CONTAINER run --rm --no-healthcheck --network host -v "$REPORTS:/reports:ro" -w /reports \
    -e MOCKSERVER_API_TOKEN="$TOKEN" "$IMAGE" contract "$URL" --junitxml=again.xml 2>&1); code=$?
set -e
[ "$code" = 2 ] && [ "$(printf '%s\n' "$refused" | grep -c .)" = 1 ] || fail "expected one line, exit 2: $refused"
echo "  $refused"
echo "image-test: OK"
