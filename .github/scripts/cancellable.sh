# Helpers for a deploy script that a workflow step execs (sourced, never run): waits a cancelled
# run can interrupt, and the step's outputs.
# shellcheck shell=bash

# Runs "$@" in the background and waits for it. Bash runs a trap only once the foreground command
# has ended, and a cancelled workflow run signals the step's shell alone (SIGINT, SIGTERM 7.5 s
# later, then SIGKILL): a command that polls for minutes would hold the rollback back until it was
# too late. `wait` returns as soon as a trapped signal arrives; the trap then calls stop_pending.
pending=""
interruptible() {
  local status=0
  "$@" &
  pending=$!
  wait "$pending" || status=$?
  pending=""
  return "$status"
}

# Stops the command a signal interrupted, and what it runs (a wrapper script, a function's
# subshell). Either may be gone already: that is no error, even under `set -e`.
stop_pending() {
  if [[ -n "$pending" ]]; then
    pkill -TERM -P "$pending" 2> /dev/null || true
    kill "$pending" 2> /dev/null || true
  fi
  pending=""
}

# Writes a step output when the script runs as a workflow step.
output() {
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"; fi
}
