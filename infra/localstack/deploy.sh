#!/usr/bin/env bash
# Deploys the dmslite DMS API to LocalStack (or any AWS-compatible endpoint) with the AWS CLI only:
# the DynamoDB state table, the API Lambda from dist/api.zip, an API Gateway REST API (POST / and
# ANY /{proxy+}, AWS_PROXY, payload 1.0, stage $DMSLITE_STAGE) and the permission for it to invoke
# the Lambda. Safe to run again: what exists is kept (the function code and settings are updated).
# Prints progress on stderr and the DMS endpoint URL alone on stdout:
#   npm run build && DMS_URL=$(infra/localstack/deploy.sh)
#   aws dms describe-endpoints --endpoint-url "$DMS_URL"
#
# Environment (all optional):
#   ENDPOINT_URL          the emulator's endpoint                        (http://localhost:4566)
#   AWS_REGION            region of every resource                       (AWS_DEFAULT_REGION, else us-east-1)
#   DMSLITE_NAME          name of the function (NAME-api) and API (NAME) (dmslite)
#   DMSLITE_STAGE         the REST API's stage, part of its URL          (dms, template.yaml's RestStageName)
#   DMSLITE_TABLE         the state table                                (dmslite-state)
#   DMSLITE_API_ZIP       the Lambda zip                                 (dist/api.zip of this repo)
#   DMSLITE_ACCOUNT_ID, DMSLITE_SECRET_KEY, DMSLITE_CREATE_DELAY_MS, DMSLITE_LOG_LEVEL,
#   AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_KINESIS
#                         passed to the function when set (LocalStack itself points its Lambdas
#                         at its own endpoint, so none of these is needed there)
#   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY   (test / test)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENDPOINT_URL="${ENDPOINT_URL:-http://localhost:4566}"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
NAME="${DMSLITE_NAME:-dmslite}"
TABLE="${DMSLITE_TABLE:-dmslite-state}"
ZIP="${DMSLITE_API_ZIP:-$here/../../dist/api.zip}"
STAGE="${DMSLITE_STAGE:-dms}"
FUNCTION="$NAME-api"
ROLE="lambda-role"
STATEMENT_ID="$NAME-apigateway-invoke"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_PAGER=""

log() { printf '%s\n' "$*" >&2; }
awsx() { aws --endpoint-url "$ENDPOINT_URL" --region "$REGION" --output text "$@"; }
# Escapes a string for a JSON string literal.
json_str() {
  local s="${1//\\/\\\\}"
  s="${s//\"/\\\"}"
  printf '"%s"' "$s"
}

if [[ ! -f "$ZIP" ]]; then
  log "error: $ZIP not found: run 'npm run build' first (or set DMSLITE_API_ZIP)"
  exit 1
fi
log "deploying $NAME to $ENDPOINT_URL ($REGION)"

# --- the state table: the key schema of DocumentTable.ensureTable() (core/state/dynamo.ts)
if awsx dynamodb describe-table --table-name "$TABLE" >/dev/null 2>&1; then
  log "table $TABLE exists"
else
  status="$(awsx dynamodb create-table --table-name "$TABLE" \
    --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=S \
    --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
    --billing-mode PAY_PER_REQUEST --query TableDescription.TableStatus)"
  if [[ "$status" != "ACTIVE" ]]; then awsx dynamodb wait table-exists --table-name "$TABLE"; fi
  log "table $TABLE created"
fi

# --- the execution role (tagged, so teardown.sh removes only a role it made)
if role_arn="$(awsx iam get-role --role-name "$ROLE" --query Role.Arn 2>/dev/null)"; then
  log "role $ROLE exists"
else
  role_arn="$(awsx iam create-role --role-name "$ROLE" \
    --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' \
    --tags Key=created-by,Value=dmslite --query Role.Arn)"
  log "role $ROLE created"
fi
account="$(cut -d: -f5 <<<"$role_arn")"

# --- the function
env_json="\"DMSLITE_TABLE\":$(json_str "$TABLE")"
for var in DMSLITE_ACCOUNT_ID DMSLITE_SECRET_KEY DMSLITE_CREATE_DELAY_MS DMSLITE_LOG_LEVEL \
  AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_KINESIS; do
  if [[ -n "${!var:-}" ]]; then env_json+=",\"$var\":$(json_str "${!var}")"; fi
done
environment="{\"Variables\":{$env_json}}"

function_created=false
if awsx lambda get-function --function-name "$FUNCTION" --query Configuration.FunctionArn >/dev/null 2>&1; then
  awsx lambda update-function-code --function-name "$FUNCTION" --zip-file "fileb://$ZIP" >/dev/null
  awsx lambda wait function-updated --function-name "$FUNCTION"
  awsx lambda update-function-configuration --function-name "$FUNCTION" \
    --runtime nodejs22.x --handler index.handler --role "$role_arn" --timeout 29 --memory-size 512 \
    --environment "$environment" >/dev/null
  awsx lambda wait function-updated --function-name "$FUNCTION"
  log "function $FUNCTION updated"
else
  state="$(awsx lambda create-function --function-name "$FUNCTION" \
    --runtime nodejs22.x --handler index.handler --role "$role_arn" --timeout 29 --memory-size 512 \
    --zip-file "fileb://$ZIP" --environment "$environment" --query State)"
  if [[ "$state" != "Active" ]]; then awsx lambda wait function-active --function-name "$FUNCTION"; fi
  function_created=true
  log "function $FUNCTION created"
fi
function_arn="arn:aws:lambda:$REGION:$account:function:$FUNCTION"

# --- the REST API (v1: in LocalStack's free edition; HTTP APIs are a Pro feature), as template.yaml's
# ApiType=REST: POST / -> the function (AWS_PROXY, payload 1.0), and a {proxy+} resource (ANY) so any
# other path reaches the function too and gets its AWS-shaped answer. Stage $STAGE, deployed each run.
api_id="$(awsx apigateway get-rest-apis --query "items[?name=='$NAME'] | [0].id")"
api_created=false
if [[ -z "$api_id" || "$api_id" == "None" ]]; then
  api_id="$(awsx apigateway create-rest-api --name "$NAME" --endpoint-configuration types=REGIONAL --query id)"
  api_created=true
  log "REST API $NAME created ($api_id)"
else
  log "REST API $NAME exists ($api_id)"
fi
read -r root_id proxy_id <<<"$(awsx apigateway get-resources --rest-api-id "$api_id" \
  --query "[items[?path=='/'].id | [0], items[?path=='/{proxy+}'].id | [0]]")"
proxy_created=false
if [[ -z "$proxy_id" || "$proxy_id" == "None" ]]; then
  proxy_id="$(awsx apigateway create-resource --rest-api-id "$api_id" --parent-id "$root_id" --path-part '{proxy+}' --query id)"
  proxy_created=true
  log "resource /{proxy+} created"
fi
invocation_uri="arn:aws:apigateway:$REGION:lambda:path/2015-03-31/functions/$function_arn/invocations"
# The method when missing; the integration always (put-integration replaces it: a new function ARN is picked up).
route() {
  local resource_id="$1" method="$2" path="$3" new="$4"
  if [[ "$new" == true ]] || ! awsx apigateway get-method --rest-api-id "$api_id" --resource-id "$resource_id" --http-method "$method" >/dev/null 2>&1; then
    awsx apigateway put-method --rest-api-id "$api_id" --resource-id "$resource_id" --http-method "$method" \
      --authorization-type NONE >/dev/null
    log "method $method $path created"
  fi
  awsx apigateway put-integration --rest-api-id "$api_id" --resource-id "$resource_id" --http-method "$method" \
    --type AWS_PROXY --integration-http-method POST --uri "$invocation_uri" >/dev/null
}
route "$root_id" POST / "$api_created"
route "$proxy_id" ANY '/{proxy+}' "$proxy_created"
awsx apigateway create-deployment --rest-api-id "$api_id" --stage-name "$STAGE" >/dev/null
log "stage $STAGE deployed"

# --- API Gateway may invoke the function (replaced on a known function, so a new API id is picked up)
if [[ "$function_created" == false ]]; then
  awsx lambda remove-permission --function-name "$FUNCTION" --statement-id "$STATEMENT_ID" >/dev/null 2>&1 || true
fi
awsx lambda add-permission --function-name "$FUNCTION" --statement-id "$STATEMENT_ID" \
  --action lambda:InvokeFunction --principal apigateway.amazonaws.com \
  --source-arn "arn:aws:execute-api:$REGION:$account:$api_id/*" >/dev/null

# LocalStack's path-style invoke URL (every version; no DNS for *.execute-api.localhost needed).
url="$ENDPOINT_URL/restapis/$api_id/$STAGE/_user_request_/"
log "DMS API ready: $url  (aws dms ... --endpoint-url $url)"
printf '%s\n' "$url"
