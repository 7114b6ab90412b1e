#!/usr/bin/env bash
# Replays the top-level Dockerfile without Docker (our CI machines have no container engine), so a change that breaks
# the image's build or start fails here:
#   1. the build stage's WORKDIR/COPY/RUN steps, in order, in a temporary folder standing for its root: COPY copies from
#      the repository with the .dockerignore patterns applied, RUN runs the same command (dotnet restore, publish);
#   2. the runtime stage's COPY --from=<build stage> into a folder standing for its WORKDIR; its USER must not be root;
#   3. its ENTRYPOINT, started there with its ENV, except that the HTTP and gRPC listeners bind 127.0.0.1 on free ports;
#   4. /health/ready must answer 200, the HEALTHCHECK command must pass, and the gRPC port must accept connections.
# The runtime stage's RUN steps (the data folder for the service user) are not replayed: the server creates its SQLite
# folder itself in the writable temporary folder. Needs bash, the .NET 10 SDK, node (exec-form JSON) and curl.
# Usage: tools/docker/check-dockerfile.sh [--keep]      (exit 0 when every check passed)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dockerfile="$repo/Dockerfile"
keep=false
[[ "${1:-}" == "--keep" ]] && keep=true

fail() {
  echo "check-dockerfile: $*" >&2
  exit 1
}

scratch="$(mktemp -d "${TMPDIR:-/tmp}/fhirrisk-dockerfile-XXXXXX")"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  fi
  if $keep; then echo "check-dockerfile: kept $scratch"; else rm -rf "$scratch"; fi
}
trap cleanup EXIT

# Dockerfile instructions, one per line: continuation lines joined, comments and blank lines dropped.
instructions() {
  sed -e '/^[[:space:]]*#/d' "$dockerfile" | awk '
    /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, ""); line = line $0; next }
    { line = line $0; if (line ~ /[^[:space:]]/) print line; line = "" }'
}

# The elements of an exec-form JSON array, one per line.
exec_form() {
  node -e 'for (const a of JSON.parse(process.argv[1])) { if (/\n/.test(a)) throw new Error("newline in argument"); console.log(a); }' "$1"
}

# tar --exclude options for a copy of "$1" (a path relative to the repository) from the .dockerignore patterns.
ignore_options() {
  local source="${1%/}" pattern
  [[ -f "$repo/.dockerignore" ]] || return 0
  while IFS= read -r pattern; do
    [[ -z "$pattern" || "$pattern" == \#* ]] && continue
    if [[ "$pattern" == '**/'* ]]; then
      echo "--exclude=${pattern#\*\*/}"
    elif [[ "$pattern" == "$source/"* ]]; then
      echo "--exclude=./${pattern#"$source"/}"
    fi
  done <"$repo/.dockerignore"
}

# COPY <sources...> <dest> from the repository into the stage root "$1", relative to the stage's working folder "$2".
copy_from_context() {
  local root="$1" workdir="$2"
  shift 2
  local args=("$@") dest="${args[-1]}" target source
  unset 'args[-1]'
  [[ "$dest" == /* ]] && target="$root$dest" || target="$root$workdir/$dest"
  mkdir -p "$target"
  for source in "${args[@]}"; do
    [[ -e "$repo/$source" ]] || fail "COPY source '$source' does not exist in the repository"
    if [[ -d "$repo/$source" ]]; then
      mapfile -t excludes < <(ignore_options "$source")
      tar -C "$repo/$source" "${excludes[@]}" -cf - . | tar -C "$target" -xf -
    else
      cp "$repo/$source" "$target/"
    fi
  done
}

build_root="$scratch/build-root"
app_root="$scratch/runtime-root"
build_stage="" stage="" build_workdir="/" app_workdir="/"
declare -a env_vars=() entrypoint=() healthcheck=() exposed=()
user=""

while IFS= read -r line; do
  keyword="${line%%[[:space:]]*}"
  rest="${line#"$keyword"}"
  rest="${rest#"${rest%%[![:space:]]*}"}"
  case "${keyword^^}" in
    ARG) ;;
    FROM)
      if [[ -z "$stage" ]]; then stage=build; else stage=runtime; fi
      if [[ "$stage" == build ]]; then
        build_stage="$(sed -n 's/.*[[:space:]][Aa][Ss][[:space:]]\+\([^[:space:]]\+\)$/\1/p' <<<"$rest")"
        [[ -n "$build_stage" ]] || fail "the first stage has no name (FROM ... AS <name>)"
      fi ;;
    WORKDIR)
      if [[ "$stage" == build ]]; then build_workdir="$rest"; mkdir -p "$build_root$rest"
      else app_workdir="$rest"; mkdir -p "$app_root$rest"; fi ;;
    COPY)
      read -r -a words <<<"$rest"
      if [[ "$stage" == build ]]; then
        [[ "${words[0]}" != --* ]] || fail "unsupported COPY option in the build stage: ${words[0]}"
        echo "check-dockerfile: COPY ${words[*]}"
        copy_from_context "$build_root" "$build_workdir" "${words[@]}"
      else
        [[ "${words[0]}" == "--from=$build_stage" && ${#words[@]} -eq 3 ]] || fail "unsupported runtime COPY: $rest"
        source_path="${words[1]}"
        [[ "${words[2]}" == "." ]] || fail "runtime COPY must copy into its WORKDIR ('.')"
        echo "check-dockerfile: COPY --from=$build_stage $source_path"
        cp -a "$build_root$source_path/." "$app_root$app_workdir/"
      fi ;;
    RUN)
      if [[ "$stage" == build ]]; then
        echo "check-dockerfile: RUN $rest"
        (cd "$build_root$build_workdir" && bash -euo pipefail -c "$rest") || fail "build step failed: RUN $rest"
      fi ;;
    ENV)
      [[ "$stage" == runtime ]] || fail "ENV is only expected in the runtime stage"
      read -r -a words <<<"$rest"
      for word in "${words[@]}"; do
        [[ "$word" =~ ^[A-Za-z_][A-Za-z0-9_]*=[^\"\']*$ ]] || fail "unsupported ENV form '$word' (use KEY=value without quotes)"
        env_vars+=("$word")
      done ;;
    EXPOSE) read -r -a exposed <<<"$rest" ;;
    USER) user="$rest" ;;
    VOLUME) ;;
    HEALTHCHECK)
      [[ "$rest" == *" CMD ["* ]] || fail "HEALTHCHECK must use the exec form: CMD [\"...\"]"
      mapfile -t healthcheck < <(exec_form "[${rest#* CMD \[}") ;;
    ENTRYPOINT) mapfile -t entrypoint < <(exec_form "$rest") ;;
    *) fail "unsupported instruction '$keyword'" ;;
  esac
done < <(instructions)

[[ "$stage" == runtime ]] || fail "expected two stages (build, runtime)"
[[ -n "$user" && "$user" != root && "$user" != 0 && "$user" != 0:* ]] || fail "the runtime stage must set a non-root USER (found '${user:-none}')"
((${#entrypoint[@]} > 0)) || fail "no ENTRYPOINT"
((${#healthcheck[@]} > 0)) || fail "no HEALTHCHECK"
env_value() {
  local pair
  for pair in "${env_vars[@]}"; do [[ "${pair%%=*}" == "$1" ]] && { echo "${pair#*=}"; return; }; done
  fail "the runtime stage sets no $1"
}
for port in "$(env_value FHIRRISK_Http__Port)" "$(env_value FHIRRISK_Grpc__Port)"; do
  [[ " ${exposed[*]} " == *" $port "* ]] || fail "port $port is configured but not EXPOSEd (${exposed[*]})"
done

# Free loopback ports: nothing answers a connection on them.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  fail "no free port found"
}
http_port="$(free_port)"
grpc_port="$(free_port)"
[[ "$http_port" != "$grpc_port" ]] || grpc_port="$(free_port)"
# FHIR push and gRPC take only configured clients (ServiceAuthentication): one, with a token made for this run.
push_token="check-$RANDOM$RANDOM$RANDOM"
push_token_sha256="$(printf %s "$push_token" | sha256sum | cut -d' ' -f1)"
run_env=("${env_vars[@]}" FHIRRISK_Http__Host=127.0.0.1 "FHIRRISK_Http__Port=$http_port" FHIRRISK_Grpc__Host=127.0.0.1 "FHIRRISK_Grpc__Port=$grpc_port"
  FHIRRISK_ServiceAuthentication__Clients__0__Name=check "FHIRRISK_ServiceAuthentication__Clients__0__TokenSha256=$push_token_sha256")

echo "check-dockerfile: starting '${entrypoint[*]}' in the runtime WORKDIR (HTTP 127.0.0.1:$http_port, gRPC 127.0.0.1:$grpc_port)"
(cd "$app_root$app_workdir" && exec env "${run_env[@]}" "${entrypoint[@]}") >"$scratch/server.log" 2>&1 &
server_pid=$!

ready=false
for _ in $(seq 1 120); do
  kill -0 "$server_pid" 2>/dev/null || { tail -n 40 "$scratch/server.log" >&2; fail "the server exited during start"; }
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/health/ready" || true)" == 200 ]]; then ready=true; break; fi
  sleep 1
done
$ready || { tail -n 40 "$scratch/server.log" >&2; fail "/health/ready did not answer 200 within 120 s"; }
echo "check-dockerfile: /health/ready 200: $(curl -s "http://127.0.0.1:$http_port/health/ready")"

# Docker runs the HEALTHCHECK in the container's WORKDIR, with its ENV.
(cd "$app_root$app_workdir" && exec env "${run_env[@]}" "${healthcheck[@]}") || fail "the HEALTHCHECK command failed against the running server"
echo "check-dockerfile: HEALTHCHECK passed"
(exec 3<>"/dev/tcp/127.0.0.1/$grpc_port") 2>/dev/null || fail "the gRPC port $grpc_port does not accept connections"
echo "check-dockerfile: gRPC port accepts connections"
if grep -q "Overriding address" "$scratch/server.log"; then fail "Kestrel overrode configured addresses (see ASPNETCORE_HTTP_PORTS)"; fi

# 5. SIGTERM (what `docker stop` and Kubernetes send) while a request is in flight: the server must stop taking new
# work, let the in-flight request finish, log the drain and exit 0. The in-flight request is an NDJSON import uploaded
# slowly (about 4 s), so the signal lands while its body is still arriving.
ndjson="$scratch/drain.ndjson"
for i in $(seq 1 400); do
  printf '{"resourceType":"Patient","id":"drain-check-%d","gender":"female","birthDate":"1950-01-01"}\n' "$i"
done >"$ndjson"
# A push without the token is refused before any of it is read.
unauthenticated="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/fhir+ndjson' --data-binary "@$ndjson" \
  "http://127.0.0.1:$http_port/fhir/\$import" || true)"
[[ "$unauthenticated" == 401 ]] || fail "a push without a client token answered $unauthenticated, not 401"
echo "check-dockerfile: a push without a client token is refused (401)"
curl -s -o "$scratch/drain-response.json" -w '%{http_code}' --limit-rate 8K -X POST \
  -H 'Content-Type: application/fhir+ndjson' -H "Authorization: Bearer $push_token" --data-binary "@$ndjson" \
  "http://127.0.0.1:$http_port/fhir/\$import" >"$scratch/drain-status" 2>/dev/null &
upload_pid=$!
sleep 1
kill -0 "$upload_pid" 2>/dev/null || fail "the drain check's upload ended before the signal; it must be in flight"
kill -TERM "$server_pid"
exit_status=0
wait "$upload_pid" || true
wait "$server_pid" || exit_status=$?
server_pid=""
upload_status="$(cat "$scratch/drain-status")"
[[ "$upload_status" == 200 ]] || { tail -n 20 "$scratch/server.log" >&2; fail "the request in flight at SIGTERM answered HTTP '$upload_status', not 200"; }
grep -q '"resourceType":"Bundle"' "$scratch/drain-response.json" || fail "the request in flight at SIGTERM did not answer a Bundle"
grep -Eq "draining [1-9][0-9]* request" "$scratch/server.log" || { tail -n 20 "$scratch/server.log" >&2; fail "the drain after SIGTERM did not count the request in flight"; }
grep -q "Drain complete" "$scratch/server.log" || { tail -n 20 "$scratch/server.log" >&2; fail "the server did not log a completed drain after SIGTERM"; }
[[ "$exit_status" == 0 ]] || { tail -n 20 "$scratch/server.log" >&2; fail "the server exited with status $exit_status after SIGTERM, not 0"; }
echo "check-dockerfile: SIGTERM with a request in flight: it answered 200, the drain completed, exit status 0"
echo "check-dockerfile: ok"
