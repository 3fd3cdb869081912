#!/usr/bin/env bash
# Runs every test project of the solution (the README's test command calls this).
#
# Why not `dotnet test Connector.sln`: MSBuild starts each project's tests when its build ends, two at a time on this
# 2-core machine, and Connector.Orchestrations.Tests, which depends on nearly every project, is built last; it is also
# the longest (8-10 minutes, most of it waiting on durable timers and retries, not on the processor), so everything
# else ran first and it ran alone at the end. Here the solution is built once, then Orchestrations runs in one lane
# while the other projects run one after another in a second lane, the longest first. Each project's output is printed
# whole when it ends (one at a time); the exit status is 1 if any project failed, the build failed, or a test project
# of the solution is in no lane.
set -uo pipefail
cd "$(dirname "$0")/.."

echo "::: build (Connector.sln)"
dotnet build Connector.sln || { echo "::: the build failed"; exit 1; }

lanes=(
  "Connector.Orchestrations.Tests"
  "Connector.Local.Tests Connector.Bench.Tests Connector.Infra.Tests Connector.Agent.Tests Connector.Functions.Tests Connector.Emulators.Anaplan.Tests"
)

# Every test project of the solution must be in a lane (a new one would otherwise never run).
for csproj in $(dotnet sln Connector.sln list | grep -E '^tests/.*\.Tests\.csproj$'); do
  name="$(basename "$csproj" .csproj)"
  if [[ " ${lanes[*]} " != *" $name "* ]]; then
    echo "::: $name is in the solution but in no lane of tests/run-all.sh: add it to one"
    exit 1
  fi
done

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
# Interrupted (CI cancelled, Ctrl+C): stop the lanes and their test hosts too.
trap 'trap - INT TERM; kill 0' INT TERM
: >"$logs/print.lock"

# Runs one test project without building it again; prints its output when it ends; returns its exit status.
run_project() {
  local project="$1" log="$logs/$1.log" rc started
  started=$(date +%s)
  echo "::: $project started"
  dotnet test "tests/$project" --no-build "${@:2}" >"$log" 2>&1
  rc=$?
  flock "$logs/print.lock" sh -c 'cat "$1"; echo "::: $2 ended with exit status $3 after $4 s"' sh "$log" "$project" "$rc" "$(( $(date +%s) - started ))"
  return "$rc"
}

run_lane() {
  local failed=0 project
  for project in "$@"; do
    run_project "$project" || failed=1
  done
  return "$failed"
}

pids=()
for lane in "${lanes[@]}"; do
  # shellcheck disable=SC2086 # a lane is a space-separated list of projects
  run_lane $lane &
  pids+=("$!")
done

status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done

if [ "$status" -eq 0 ]; then echo "::: every test project passed"; else echo "::: a test project failed (above)"; fi
exit "$status"
