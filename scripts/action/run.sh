#!/usr/bin/env bash
# Runs `evidencepack run` for the GitHub Action (action.yml) and the GitLab CI template
# (templates/evidencepack.gitlab-ci.yml), then hands the results to the platform.
#
# Every input arrives in an environment variable and is only ever passed as one argument,
# never evaluated: no input can become shell code.
#
#   INPUT_PATH        checkout to examine (default .)
#   INPUT_POLICY      policy file                       (else EVIDENCEPACK_POLICY)
#   INPUT_STORE       evidence store folder              (else EVIDENCEPACK_STORE, else <output>/store)
#   INPUT_KEY         private key file, PEM or cosign.key (else EVIDENCEPACK_KEY)
#   INPUT_KEYLESS     true: sign through Sigstore with the CI's OIDC token (else EVIDENCEPACK_KEYLESS)
#   INPUT_ARTIFACTS   artifact paths or globs, separated by whitespace (else EVIDENCEPACK_ARTIFACTS)
#   INPUT_TOKEN       platform token, given to evidencepack in its environment, never on argv
#   INPUT_KEY_PASSWORD  password of the key (else COSIGN_PASSWORD); exported as COSIGN_PASSWORD
#                     and EVIDENCEPACK_KEY_PASSWORD only when not empty
#   INPUT_OUTPUT_DIR  where the SARIF log, the summary and (by default) the store go
#   EVIDENCEPACK_BIN  the evidencepack executable (default: evidencepack on PATH)
#   EVIDENCEPACK_PLATFORM  github | gitlab | local (default: from GITHUB_ACTIONS / GITLAB_CI)
#   EVIDENCEPACK_ACTION_DRY_RUN=1  print the command as a JSON array and stop
#
# Outputs (GitHub: $GITHUB_OUTPUT; GitLab: <output>/evidencepack.env, a dotenv report):
# pack-id, pack-path, archive, sarif, summary, status (pass | fail | error).
# Exit status: evidencepack's own: 0, 1 when an enforced control failed (after every output
# is written), 2 on bad input.
set -euo pipefail

PYTHON="${EVIDENCEPACK_ACTION_PYTHON:-python3}"

platform="${EVIDENCEPACK_PLATFORM:-}"
if [ -z "$platform" ]; then
  if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
    platform=github
  elif [ "${GITLAB_CI:-}" = "true" ]; then
    platform=gitlab
  else
    platform=local
  fi
fi

# A GitHub workflow command's data: %, CR and LF escaped so a value cannot start a new command.
command_data() {
  local value="${1//'%'/%25}"
  value="${value//$'\r'/%0D}"
  printf '%s' "${value//$'\n'/%0A}"
}

fail() {
  printf 'evidencepack action: error: %s\n' "$1" >&2
  if [ "$platform" = github ]; then
    printf '::error title=evidencepack::%s\n' "$(command_data "$1")"
  fi
  exit 2
}

random_token() {
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

case "$platform" in
  github | gitlab | local) ;;
  *) fail "EVIDENCEPACK_PLATFORM must be github, gitlab or local, not '$platform'" ;;
esac

path="${INPUT_PATH:-.}"
policy="${INPUT_POLICY:-${EVIDENCEPACK_POLICY:-}}"
store="${INPUT_STORE:-${EVIDENCEPACK_STORE:-}}"
key="${INPUT_KEY:-${EVIDENCEPACK_KEY:-}}"
keyless="${INPUT_KEYLESS:-${EVIDENCEPACK_KEYLESS:-false}}"
artifacts="${INPUT_ARTIFACTS:-${EVIDENCEPACK_ARTIFACTS:-}}"
token="${INPUT_TOKEN:-}"
bin="${EVIDENCEPACK_BIN:-evidencepack}"

out="${INPUT_OUTPUT_DIR:-}"
if [ -z "$out" ]; then
  case "$platform" in
    github) out="${RUNNER_TEMP:?RUNNER_TEMP is not set}/evidencepack" ;;
    gitlab) out="${CI_PROJECT_DIR:?CI_PROJECT_DIR is not set}/evidencepack-output" ;;
    local) out="evidencepack-output" ;;
  esac
fi
store="${store:-$out/store}"

[ -d "$path" ] || fail "path '$path' is not a directory"
if [ -n "$policy" ] && [ ! -f "$policy" ]; then
  fail "policy '$policy': no such file"
fi
if [ -n "$key" ] && [ ! -f "$key" ]; then
  # Never echo the value: a CI variable meant as a file path may hold the key itself.
  case "$key" in
    *"-----BEGIN"* | *$'\n'*) fail "the key input holds key material, not a path: give a file (a GitLab File variable, or write the secret to a file first)" ;;
    *) fail "the key input names no file (its value is not shown)" ;;
  esac
fi
case "$keyless" in
  true | false | "") ;;
  *) fail "keyless must be true or false, not '$keyless'" ;;
esac
if [ "$keyless" = true ] && [ -n "$key" ]; then
  fail "key and keyless exclude each other: give one"
fi

mkdir -p -- "$out" || fail "cannot create the output folder '$out'"
sarif="$out/evidencepack.sarif"
summary="$out/summary.md"

args=(run "$path" --format json --store "$store" --sarif "$sarif" --summary-markdown "$summary")
[ -z "$policy" ] || args+=(--policy "$policy")
[ -z "$key" ] || args+=(--key "$key")
[ "$keyless" != true ] || args+=(--keyless)
# Split on whitespace only: `read -a` does no pathname expansion, so a glob reaches
# evidencepack as it was written.
read -r -d '' -a patterns < <(printf '%s\0' "$artifacts") || true
for pattern in "${patterns[@]}"; do
  args+=(--artifact "$pattern")
done

if [ -n "$token" ]; then
  case "$platform" in
    github) export GITHUB_TOKEN="$token" ;;
    gitlab) export GITLAB_TOKEN="$token" ;;
    local) fail "a token needs a platform: set EVIDENCEPACK_PLATFORM to github or gitlab" ;;
  esac
fi

# One password for both kinds of key, under cosign's own name too. Only a password given
# is exported: evidencepack takes an empty COSIGN_PASSWORD for a password, as cosign does.
password="${INPUT_KEY_PASSWORD:-${COSIGN_PASSWORD:-}}"
if [ -n "$password" ]; then
  export COSIGN_PASSWORD="$password"
  export EVIDENCEPACK_KEY_PASSWORD="${EVIDENCEPACK_KEY_PASSWORD:-$password}"
fi

if [ "${EVIDENCEPACK_ACTION_DRY_RUN:-}" = 1 ]; then
  "$PYTHON" -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$bin" "${args[@]}"
  exit 0
fi

# What evidencepack prints quotes the repository (paths, messages); on GitHub it must not
# be read as workflow commands.
resume=""
if [ "$platform" = github ]; then
  resume="$(random_token)"
  printf '::stop-commands::%s\n' "$resume"
fi
set +e
"$bin" "${args[@]}" >"$out/run.json"
status=$?
set -e
"$PYTHON" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1])), indent=2))' \
  "$out/run.json" 2>/dev/null || true
if [ -n "$resume" ]; then
  printf '::%s::\n' "$resume"
fi

pack_id="" pack_path="" archive=""
if [ "$status" -le 1 ]; then
  # NUL-separated, so no path can be split or glued to another.
  {
    IFS= read -r -d '' pack_id
    IFS= read -r -d '' pack_path
    IFS= read -r -d '' archive
  } < <("$PYTHON" -c '
import json, sys
run = json.load(open(sys.argv[1], encoding="utf-8"))
sys.stdout.write("\0".join((run["id"], run["pack"], run["archive"])) + "\0")
' "$out/run.json") || fail "evidencepack printed no pack description (exit status $status)"
fi
case "$status" in
  0) result=pass ;;
  1) result=fail ;;
  *)
    result=error
    if [ "$platform" = github ]; then
      printf '::error title=evidencepack::evidencepack run failed with exit status %s (cause above)\n' "$status"
    fi
    ;;
esac

write_output() {  # name value
  case "$platform" in
    github)
      [ -n "${GITHUB_OUTPUT:-}" ] || return 0
      local delimiter
      delimiter="ghadelimiter_$(random_token)"
      printf '%s<<%s\n%s\n%s\n' "$1" "$delimiter" "$2" "$delimiter" >>"$GITHUB_OUTPUT"
      ;;
    gitlab)
      # A dotenv report holds one line per variable.
      case "$2" in *$'\n'* | *$'\r'*) return 0 ;; esac
      local name="EVIDENCEPACK_${1//-/_}"
      printf '%s=%s\n' "${name^^}" "$2" >>"$out/evidencepack.env"
      ;;
  esac
}

[ "$platform" != gitlab ] || : >"$out/evidencepack.env"
write_output pack-id "$pack_id"
write_output pack-path "$pack_path"
write_output archive "$archive"
[ -f "$sarif" ] || sarif=""
[ -f "$summary" ] || summary=""
write_output sarif "$sarif"
write_output summary "$summary"
write_output status "$result"

if [ "$platform" = github ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  if [ -n "$summary" ]; then
    cat -- "$summary" >>"$GITHUB_STEP_SUMMARY"
  else
    printf '## evidencepack\n\nNo pack was built (exit status %s): see the log of this step.\n' \
      "$status" >>"$GITHUB_STEP_SUMMARY"
  fi
fi

exit "$status"
