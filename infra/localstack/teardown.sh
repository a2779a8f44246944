#!/usr/bin/env bash
# Removes what deploy.sh created: the REST API(s) named $DMSLITE_NAME, the function, the state
# table, and the lambda-role if deploy.sh made it. Safe to run again: what is gone is skipped.
# Same environment as deploy.sh (ENDPOINT_URL, AWS_REGION, DMSLITE_NAME, DMSLITE_TABLE).
set -euo pipefail

ENDPOINT_URL="${ENDPOINT_URL:-http://localhost:4566}"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
NAME="${DMSLITE_NAME:-dmslite}"
TABLE="${DMSLITE_TABLE:-dmslite-state}"
FUNCTION="$NAME-api"
ROLE="lambda-role"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_PAGER=""

log() { printf '%s\n' "$*" >&2; }
awsx() { aws --endpoint-url "$ENDPOINT_URL" --region "$REGION" --output text "$@"; }

log "tearing down $NAME at $ENDPOINT_URL ($REGION)"
# A plain assignment, so an unreachable endpoint stops the script here (set -e) rather than
# every later lookup reporting its resource as gone.
api_ids="$(awsx apigateway get-rest-apis --query "items[?name=='$NAME'].id")"
for api_id in $api_ids; do
  [[ "$api_id" == "None" ]] && continue
  awsx apigateway delete-rest-api --rest-api-id "$api_id"
  log "REST API $api_id deleted"
done

if awsx lambda get-function --function-name "$FUNCTION" >/dev/null 2>&1; then
  awsx lambda delete-function --function-name "$FUNCTION"
  log "function $FUNCTION deleted"
else
  log "function $FUNCTION already gone"
fi

if awsx dynamodb describe-table --table-name "$TABLE" >/dev/null 2>&1; then
  awsx dynamodb delete-table --table-name "$TABLE" >/dev/null
  awsx dynamodb wait table-not-exists --table-name "$TABLE"
  log "table $TABLE deleted"
else
  log "table $TABLE already gone"
fi

if created_by="$(awsx iam list-role-tags --role-name "$ROLE" --query "Tags[?Key=='created-by'].Value | [0]" 2>/dev/null)"; then
  if [[ "$created_by" == "dmslite" ]]; then
    awsx iam delete-role --role-name "$ROLE"
    log "role $ROLE deleted"
  else
    log "role $ROLE kept (not created by deploy.sh)"
  fi
fi
log "done"
