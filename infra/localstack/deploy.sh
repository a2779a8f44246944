#!/usr/bin/env bash
# Deploys the dmslite DMS API to LocalStack (or any AWS-compatible endpoint) with the AWS CLI only:
# the DynamoDB state table, the API Lambda from dist/api.zip, an API Gateway HTTP API with route
# POST / (AWS_PROXY, payload 2.0, stage $default auto-deployed) and the permission for it to invoke
# the Lambda. Safe to run again: what exists is kept (the function code and settings are updated).
# Prints progress on stderr and the DMS endpoint URL alone on stdout:
#   npm run build && DMS_URL=$(infra/localstack/deploy.sh)
#   aws dms describe-endpoints --endpoint-url "$DMS_URL"
#
# Environment (all optional):
#   ENDPOINT_URL          the emulator's endpoint                        (http://localhost:4566)
#   AWS_REGION            region of every resource                       (AWS_DEFAULT_REGION, else us-east-1)
#   DMSLITE_NAME          name of the function (NAME-api) and API (NAME) (dmslite)
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

# --- the HTTP API: POST / -> the function. A new API gets its integration, route and stage at
# once; an existing one is checked piece by piece.
api="$(awsx apigatewayv2 get-apis --query "Items[?Name=='$NAME'] | [0].[ApiId, ApiEndpoint]")"
read -r api_id url <<<"$api"
api_created=false
if [[ -z "$api_id" || "$api_id" == "None" ]]; then
  api="$(awsx apigatewayv2 create-api --name "$NAME" --protocol-type HTTP --query '[ApiId, ApiEndpoint]')"
  read -r api_id url <<<"$api"
  api_created=true
  log "HTTP API $NAME created ($api_id)"
else
  log "HTTP API $NAME exists ($api_id)"
fi

integration_id=None
if [[ "$api_created" == false ]]; then
  integration_id="$(awsx apigatewayv2 get-integrations --api-id "$api_id" \
    --query "Items[?IntegrationUri=='$function_arn'].IntegrationId | [0]")"
fi
if [[ -z "$integration_id" || "$integration_id" == "None" ]]; then
  integration_id="$(awsx apigatewayv2 create-integration --api-id "$api_id" \
    --integration-type AWS_PROXY --integration-method POST --integration-uri "$function_arn" \
    --payload-format-version 2.0 --query IntegrationId)"
  log "integration $integration_id created"
fi

route="None None"
if [[ "$api_created" == false ]]; then
  route="$(awsx apigatewayv2 get-routes --api-id "$api_id" --query "Items[?RouteKey=='POST /'] | [0].[RouteId, Target]")"
fi
read -r route_id route_target <<<"$route"
if [[ -z "$route_id" || "$route_id" == "None" ]]; then
  awsx apigatewayv2 create-route --api-id "$api_id" --route-key 'POST /' --target "integrations/$integration_id" >/dev/null
  log "route POST / created"
elif [[ "$route_target" != "integrations/$integration_id" ]]; then
  awsx apigatewayv2 update-route --api-id "$api_id" --route-id "$route_id" --target "integrations/$integration_id" >/dev/null
  log "route POST / now targets integration $integration_id"
fi

stage=None
if [[ "$api_created" == false ]]; then
  stage="$(awsx apigatewayv2 get-stages --api-id "$api_id" --query "Items[?StageName=='\$default'].StageName | [0]")"
fi
if [[ -z "$stage" || "$stage" == "None" ]]; then
  awsx apigatewayv2 create-stage --api-id "$api_id" --stage-name "\$default" --auto-deploy >/dev/null
  log "stage \$default created (auto-deploy)"
fi

# --- API Gateway may invoke the function (replaced on a known function, so a new API id is picked up)
if [[ "$function_created" == false ]]; then
  awsx lambda remove-permission --function-name "$FUNCTION" --statement-id "$STATEMENT_ID" >/dev/null 2>&1 || true
fi
awsx lambda add-permission --function-name "$FUNCTION" --statement-id "$STATEMENT_ID" \
  --action lambda:InvokeFunction --principal apigateway.amazonaws.com \
  --source-arn "arn:aws:execute-api:$REGION:$account:$api_id/*/*/" >/dev/null

log "DMS API ready: $url/  (aws dms ... --endpoint-url $url/)"
printf '%s/\n' "$url"
