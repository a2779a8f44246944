"""A DMS Serverless replication driven by boto3, as a Python user would write it.

Usage: serverless_flow.py <dmslite URL> <MariaDB port> <user> <password> <schema>

Creates a full-load replication config over <schema>, starts it, polls DescribeReplications until it
stops by itself, reads its table statistics, then probes a few errors. Prints one JSON document with
what each step returned; the calling test asserts on it.
"""

import json
import sys
import time

import boto3
from botocore.exceptions import ClientError

URL, DB_PORT, DB_USER, DB_PASSWORD, SCHEMA = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ROLE_ARN = "arn:aws:iam::000000000000:role/dms-kinesis"

session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
dms = session.client("dms", endpoint_url=URL)
kinesis = session.client("kinesis", endpoint_url=URL)
out = {}


def error_of(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
    return None


def by_arn(arn):
    return [{"Name": "replication-config-arn", "Values": [arn]}]


kinesis.create_stream(StreamName="boto3-serverless", ShardCount=1)
kinesis.get_waiter("stream_exists").wait(StreamName="boto3-serverless", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
stream_arn = kinesis.describe_stream_summary(StreamName="boto3-serverless")["StreamDescriptionSummary"]["StreamARN"]
source = dms.create_endpoint(
    EndpointIdentifier="boto3-sl-source", EndpointType="source", EngineName="mariadb",
    ServerName="127.0.0.1", Port=DB_PORT, Username=DB_USER, Password=DB_PASSWORD,
)["Endpoint"]["EndpointArn"]
target = dms.create_endpoint(
    EndpointIdentifier="boto3-sl-target", EndpointType="target", EngineName="kinesis",
    KinesisSettings={"StreamArn": stream_arn, "MessageFormat": "json", "ServiceAccessRoleArn": ROLE_ARN},
)["Endpoint"]["EndpointArn"]
mappings = json.dumps({"rules": [{
    "rule-type": "selection", "rule-id": "1", "rule-name": "1",
    "object-locator": {"schema-name": SCHEMA, "table-name": "%"}, "rule-action": "include",
}]})

config = dms.create_replication_config(
    ReplicationConfigIdentifier="boto3-full-load",
    SourceEndpointArn=source,
    TargetEndpointArn=target,
    ComputeConfig={"MaxCapacityUnits": 2, "MinCapacityUnits": 1},
    ReplicationType="full-load",
    TableMappings=mappings,
    Tags=[{"Key": "tool", "Value": "boto3"}],
)["ReplicationConfig"]
arn = config["ReplicationConfigArn"]
out["config"] = {
    "arn": arn,
    "type": config["ReplicationType"],
    "compute": config["ComputeConfig"],
    "create_time_type": type(config["ReplicationConfigCreateTime"]).__name__,
    "settings_logging": json.loads(config["ReplicationSettings"])["Logging"]["EnableLogging"],
}
out["tags"] = dms.list_tags_for_resource(ResourceArn=arn)["TagList"]
out["created_status"] = dms.describe_replications(Filters=by_arn(arn))["Replications"][0]["Status"]

started = dms.start_replication(ReplicationConfigArn=arn, StartReplicationType="start-replication")["Replication"]
out["started_status"] = started["Status"]
statuses = []
deadline = time.time() + 90
replication = None
while time.time() < deadline:
    replication = dms.describe_replications(Filters=[{"Name": "replication-config-id", "Values": ["boto3-full-load"]}])["Replications"][0]
    if not statuses or statuses[-1] != replication["Status"]:
        statuses.append(replication["Status"])
    if replication["Status"] in ("stopped", "failed"):
        break
    time.sleep(0.05)
out["statuses"] = statuses
out["final"] = {
    "status": replication["Status"],
    "stop_reason": replication.get("StopReason"),
    "failure_messages": replication.get("FailureMessages"),
    "provision_state": replication.get("ProvisionData", {}).get("ProvisionState"),
    "capacity": replication.get("ProvisionData", {}).get("ProvisionedCapacityUnits"),
    "progress": replication["ReplicationStats"].get("FullLoadProgressPercent"),
    "tables_loaded": replication["ReplicationStats"].get("TablesLoaded"),
    "stop_time_type": type(replication.get("ReplicationLastStopTime")).__name__,
}
stats = dms.describe_replication_table_statistics(ReplicationConfigArn=arn)
out["table_statistics"] = [
    {k: s.get(k) for k in ("SchemaName", "TableName", "FullLoadRows", "TableState")} for s in stats["ReplicationTableStatistics"]
]
out["errors"] = {
    "resume_full_load": error_of(dms.start_replication, ReplicationConfigArn=arn, StartReplicationType="resume-processing"),
    "bad_capacity": error_of(
        dms.create_replication_config, ReplicationConfigIdentifier="boto3-bad", SourceEndpointArn=source, TargetEndpointArn=target,
        ComputeConfig={"MaxCapacityUnits": 3}, ReplicationType="cdc", TableMappings=mappings,
    ),
    "unknown_config": error_of(dms.describe_replications, Filters=by_arn(arn + "X")),
}
print(json.dumps(out, default=str))
