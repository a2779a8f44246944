"""The control-plane flow of dmslite driven by boto3, as a Python user would write it.

Usage: dms_flow.py <dmslite URL> <MariaDB port> [<user> <password>]

Prints one JSON document with what each step returned; the calling test asserts on it.
Every waiter is botocore's own (waiters-2.json), with short delays.
"""

import json
import sys

import boto3
from botocore.exceptions import ClientError, WaiterError

URL = sys.argv[1]
DB_PORT = int(sys.argv[2])
DB_USER = sys.argv[3] if len(sys.argv) > 3 else "dms"
DB_PASSWORD = sys.argv[4] if len(sys.argv) > 4 else "dms-pass"
ROLE_ARN = "arn:aws:iam::000000000000:role/dms-kinesis"
WAIT = {"Delay": 1, "MaxAttempts": 60}

session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
dms = session.client("dms", endpoint_url=URL)
kinesis = session.client("kinesis", endpoint_url=URL)

out = {}


def error_of(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return {
            "code": e.response["Error"]["Code"],
            "message": e.response["Error"]["Message"],
            "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    return None


def by_arn(name, arn):
    return [{"Name": name, "Values": [arn]}]


# Kinesis through the same port.
kinesis.create_stream(StreamName="boto3-stream", ShardCount=1)
kinesis.get_waiter("stream_exists").wait(StreamName="boto3-stream", WaiterConfig=WAIT)
stream_arn = kinesis.describe_stream_summary(StreamName="boto3-stream")["StreamDescriptionSummary"]["StreamARN"]
out["stream_arn"] = stream_arn

source = dms.create_endpoint(
    EndpointIdentifier="boto3-source",
    EndpointType="source",
    EngineName="mariadb",
    ServerName="127.0.0.1",
    Port=DB_PORT,
    Username=DB_USER,
    Password=DB_PASSWORD,
)["Endpoint"]
target = dms.create_endpoint(
    EndpointIdentifier="boto3-target",
    EndpointType="target",
    EngineName="kinesis",
    KinesisSettings={"StreamArn": stream_arn, "MessageFormat": "json", "ServiceAccessRoleArn": ROLE_ARN},
)["Endpoint"]
out["source"] = {k: source.get(k) for k in ("EndpointArn", "EndpointType", "EngineName", "Status", "Port")}
out["source_has_password"] = "Password" in source
out["target"] = {k: target.get(k) for k in ("EndpointArn", "EndpointType", "EngineName", "Status")}
out["duplicate_endpoint"] = error_of(
    dms.create_endpoint,
    EndpointIdentifier="boto3-target",
    EndpointType="target",
    EngineName="kinesis",
    KinesisSettings={"StreamArn": stream_arn, "MessageFormat": "json", "ServiceAccessRoleArn": ROLE_ARN},
)

instance = dms.create_replication_instance(
    ReplicationInstanceIdentifier="Boto3-Instance", ReplicationInstanceClass="dms.t3.micro"
)["ReplicationInstance"]
instance_arn = instance["ReplicationInstanceArn"]
out["instance_created"] = {
    "status": instance["ReplicationInstanceStatus"],
    "identifier": instance["ReplicationInstanceIdentifier"],
    "create_time_type": type(instance["InstanceCreateTime"]).__name__,
}
dms.get_waiter("replication_instance_available").wait(
    Filters=by_arn("replication-instance-arn", instance_arn), WaiterConfig=WAIT
)
out["instance_status"] = dms.describe_replication_instances(Filters=by_arn("replication-instance-arn", instance_arn))[
    "ReplicationInstances"
][0]["ReplicationInstanceStatus"]

out["test_connection"] = {}
for name, endpoint in (("source", source), ("target", target)):
    answer = dms.test_connection(ReplicationInstanceArn=instance_arn, EndpointArn=endpoint["EndpointArn"])["Connection"]
    dms.get_waiter("test_connection_succeeds").wait(
        Filters=by_arn("endpoint-arn", endpoint["EndpointArn"]) + by_arn("replication-instance-arn", instance_arn),
        WaiterConfig=WAIT,
    )
    final = dms.describe_connections(Filters=by_arn("endpoint-arn", endpoint["EndpointArn"]))["Connections"][0]
    out["test_connection"][name] = {"answer": answer["Status"], "final": final["Status"], "failure": final.get("LastFailureMessage")}

mappings = json.dumps(
    {
        "rules": [
            {
                "rule-type": "selection",
                "rule-id": "1",
                "rule-name": "1",
                "object-locator": {"schema-name": "boto3db", "table-name": "%"},
                "rule-action": "include",
            }
        ]
    }
)
task = dms.create_replication_task(
    ReplicationTaskIdentifier="boto3-task",
    SourceEndpointArn=source["EndpointArn"],
    TargetEndpointArn=target["EndpointArn"],
    ReplicationInstanceArn=instance_arn,
    MigrationType="full-load-and-cdc",
    TableMappings=mappings,
)["ReplicationTask"]
task_arn = task["ReplicationTaskArn"]
out["task_created"] = {"status": task["Status"], "arn": task_arn, "creation_date_type": type(task["ReplicationTaskCreationDate"]).__name__}
dms.get_waiter("replication_task_ready").wait(Filters=by_arn("replication-task-arn", task_arn), WaiterConfig=WAIT)
ready = dms.describe_replication_tasks(Filters=by_arn("replication-task-arn", task_arn))["ReplicationTasks"][0]
out["task_ready"] = {
    "status": ready["Status"],
    "migration_type": ready["MigrationType"],
    "table_mappings": ready["TableMappings"],
    "stats": ready.get("ReplicationTaskStats"),
    "has_settings": "ReplicationTaskSettings" in ready,
}
without = dms.describe_replication_tasks(Filters=by_arn("replication-task-arn", task_arn), WithoutSettings=True)
out["task_without_settings_has_settings"] = "ReplicationTaskSettings" in without["ReplicationTasks"][0]

out["errors"] = {
    "endpoint_in_use": error_of(dms.delete_endpoint, EndpointArn=source["EndpointArn"]),
    "stop_ready_task": error_of(dms.stop_replication_task, ReplicationTaskArn=task_arn),
    "bad_filter": error_of(dms.describe_endpoints, Filters=[{"Name": "color", "Values": ["red"]}]),
    "no_match": error_of(dms.describe_replication_tasks, Filters=by_arn("replication-task-id", "no-such-task")),
    "bad_mappings": error_of(
        dms.create_replication_task,
        ReplicationTaskIdentifier="boto3-bad",
        SourceEndpointArn=source["EndpointArn"],
        TargetEndpointArn=target["EndpointArn"],
        ReplicationInstanceArn=instance_arn,
        MigrationType="full-load",
        TableMappings='{"rules": }',
    ),
}

tags = dms.list_tags_for_resource(ResourceArn=task_arn)["TagList"]
dms.add_tags_to_resource(ResourceArn=task_arn, Tags=[{"Key": "team", "Value": "data"}])
out["tags"] = {"before": tags, "after": dms.list_tags_for_resource(ResourceArn=task_arn)["TagList"]}

# Teardown with the *Deleted waiters.
out["task_delete_status"] = dms.delete_replication_task(ReplicationTaskArn=task_arn)["ReplicationTask"]["Status"]
dms.get_waiter("replication_task_deleted").wait(Filters=by_arn("replication-task-arn", task_arn), WaiterConfig=WAIT)
out["endpoint_delete_status"] = {}
for name, endpoint in (("source", source), ("target", target)):
    out["endpoint_delete_status"][name] = dms.delete_endpoint(EndpointArn=endpoint["EndpointArn"])["Endpoint"]["Status"]
    dms.get_waiter("endpoint_deleted").wait(Filters=by_arn("endpoint-arn", endpoint["EndpointArn"]), WaiterConfig=WAIT)
out["instance_delete_status"] = dms.delete_replication_instance(ReplicationInstanceArn=instance_arn)["ReplicationInstance"][
    "ReplicationInstanceStatus"
]
dms.get_waiter("replication_instance_deleted").wait(Filters=by_arn("replication-instance-arn", instance_arn), WaiterConfig=WAIT)

# A waiter that must fail rather than hang: the task is gone.
try:
    dms.get_waiter("replication_task_ready").wait(
        Filters=by_arn("replication-task-arn", task_arn), WaiterConfig={"Delay": 1, "MaxAttempts": 2}
    )
    out["waiter_on_deleted_task"] = "succeeded"
except WaiterError as e:
    out["waiter_on_deleted_task"] = str(e.last_response.get("Error", {}).get("Code"))

out["empty_account"] = {
    "endpoints": dms.describe_endpoints()["Endpoints"],
    "tasks": dms.describe_replication_tasks()["ReplicationTasks"],
    "instances": dms.describe_replication_instances()["ReplicationInstances"],
}

print(json.dumps(out, default=str))
