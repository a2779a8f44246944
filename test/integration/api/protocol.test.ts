// The AWS JSON 1.1 wire protocol of the local stack, spoken with raw HTTP: routing by
// X-Amz-Target, error shapes, validation, regions from SigV4 scopes, and forwarding of
// Kinesis / DynamoDB requests on the same port.
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import {
  CreateReplicationInstanceCommand,
  DescribeReplicationInstancesCommand,
} from '@aws-sdk/client-database-migration-service';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_ARN, awsError, streamArn } from '../../support/dms.js';
import { TEST_CREDENTIALS, startTestStack, uniqueName, type TestStack } from '../../support/stack.js';
import { fuzzer } from '../../support/fuzz.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const DMS = 'AmazonDMSv20160101';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function sigv4(region: string, service = 'dms'): string {
  return `AWS4-HMAC-SHA256 Credential=AKIDTEST/20240102/${region}/${service}/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`;
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function call(target: string | undefined, body: string | object | undefined, opts: { region?: string; service?: string; contentType?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'Content-Type': opts.contentType ?? 'application/x-amz-json-1.1' };
  if (target !== undefined) headers['X-Amz-Target'] = target;
  if (opts.region !== undefined) headers.Authorization = sigv4(opts.region, opts.service);
  headers['X-Amz-Date'] = '20240102T000000Z';
  const res = await fetch(stack.url, { method: 'POST', headers, body: typeof body === 'object' ? JSON.stringify(body) : body });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* asserted by callers */
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The shape every DMS error shares. */
function expectError(r: Reply, type: string, message: string | RegExp) {
  expect(r.status).toBe(400);
  expect(r.headers.get('content-type')).toBe('application/x-amz-json-1.1');
  expect(r.headers.get('x-amzn-requestid')).toMatch(UUID);
  expect(Object.keys(r.json).sort()).toEqual(['__type', 'message']);
  expect(r.json.__type).toBe(type);
  if (typeof message === 'string') expect(r.json.message).toBe(message);
  else expect(r.json.message).toMatch(message);
}

const kinesisTarget = (id: string) => ({
  EndpointIdentifier: id,
  EndpointType: 'target',
  EngineName: 'kinesis',
  KinesisSettings: { StreamArn: streamArn('protocol'), ServiceAccessRoleArn: ROLE_ARN, MessageFormat: 'json' },
});

describe('routing and errors', () => {
  it('an unknown DMS operation is UnknownOperationException', async () => {
    expectError(await call(`${DMS}.CreateUnicorn`, {}), 'UnknownOperationException', `Operation ${DMS}.CreateUnicorn is not recognized by the DMS API`);
  });

  it('a DMS operation dmslite does not implement is UnknownOperationException naming it', async () => {
    expectError(await call(`${DMS}.DescribeCertificates`, {}), 'UnknownOperationException', 'dmslite does not implement the DMS operation DescribeCertificates');
  });

  it('a missing X-Amz-Target is UnknownOperationException', async () => {
    expectError(await call(undefined, {}), 'UnknownOperationException', 'Missing X-Amz-Target header');
  });

  it('Object.prototype names are not operations', async () => {
    for (const op of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expectError(await call(`${DMS}.${op}`, {}), 'UnknownOperationException', `Operation ${DMS}.${op} is not recognized by the DMS API`);
    }
  });

  it('malformed JSON is SerializationException', async () => {
    expectError(await call(`${DMS}.DescribeEndpoints`, '{"Filters": ['), 'SerializationException', 'Request body is not valid JSON');
    expectError(await call(`${DMS}.DescribeEndpoints`, '[1,2]'), 'SerializationException', 'Request body must be a JSON object');
  });

  it('a missing required member is InvalidParameterValueException naming it', async () => {
    expectError(
      await call(`${DMS}.CreateEndpoint`, { EndpointIdentifier: 'x', EngineName: 'kinesis' }),
      'InvalidParameterValueException',
      'The request is missing the required parameter EndpointType',
    );
    expectError(
      await call(`${DMS}.DescribeEndpoints`, { Filters: [{ Name: 'endpoint-id' }] }),
      'InvalidParameterValueException',
      'The request is missing the required parameter Filters[0].Values',
    );
  });

  it('a wrong JSON type is SerializationException', async () => {
    expectError(await call(`${DMS}.DescribeEndpoints`, { MaxRecords: '20' }), 'SerializationException', 'Expected an integer for MaxRecords');
    expectError(
      await call(`${DMS}.CreateEndpoint`, { ...kinesisTarget('typed'), KinesisSettings: { ...kinesisTarget('typed').KinesisSettings, IncludeNullAndEmpty: 'yes' } }),
      'SerializationException',
      'Expected a boolean for KinesisSettings.IncludeNullAndEmpty',
    );
  });

  it('an invalid enum value is InvalidParameterValueException', async () => {
    expectError(
      await call(`${DMS}.CreateEndpoint`, { ...kinesisTarget('enum'), EndpointType: 'sink' }),
      'InvalidParameterValueException',
      "Invalid value 'sink' for EndpointType. Valid values: source, target",
    );
    expectError(
      await call(`${DMS}.CreateEndpoint`, { ...kinesisTarget('enum'), KinesisSettings: { ...kinesisTarget('enum').KinesisSettings, MessageFormat: 'xml' } }),
      'InvalidParameterValueException',
      "Invalid value 'xml' for KinesisSettings.MessageFormat. Valid values: json, json-unformatted",
    );
  });

  it('an empty or foreign ARN is InvalidParameterValueException in every operation taking one', async () => {
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['DeleteEndpoint', {}, 'EndpointArn', 'endpoint'],
      ['ModifyEndpoint', {}, 'EndpointArn', 'endpoint'],
      ['DeleteReplicationInstance', {}, 'ReplicationInstanceArn', 'rep'],
      ['ModifyReplicationInstance', {}, 'ReplicationInstanceArn', 'rep'],
      ['StartReplicationTask', { StartReplicationTaskType: 'start-replication' }, 'ReplicationTaskArn', 'task'],
      ['StopReplicationTask', {}, 'ReplicationTaskArn', 'task'],
      ['ModifyReplicationTask', {}, 'ReplicationTaskArn', 'task'],
      ['DeleteReplicationTask', {}, 'ReplicationTaskArn', 'task'],
      ['ReloadTables', { TablesToReload: [{ SchemaName: 'a', TableName: 'b' }] }, 'ReplicationTaskArn', 'task'],
      ['DescribeTableStatistics', {}, 'ReplicationTaskArn', 'task'],
    ];
    for (const [op, extra, member, type] of cases) {
      for (const value of ['', 'arn:aws:kinesis:us-east-1:000000000000:stream/s']) {
        expectError(await call(`${DMS}.${op}`, { ...extra, [member]: value }), 'InvalidParameterValueException', `Invalid ${member}: ${value} is not a valid ${type} ARN`);
      }
    }
  });

  it('a fault raised by an operation has the same shape', async () => {
    expectError(
      await call(`${DMS}.DescribeEndpoints`, { Filters: [{ Name: 'endpoint-id', Values: ['nothing-here'] }] }),
      'ResourceNotFoundFault',
      'No Endpoints found matching provided filters',
    );
  });

  it('success is 200 with a request id; every request id is new', async () => {
    const a = await call(`${DMS}.CreateEndpoint`, kinesisTarget('ok-endpoint'));
    const b = await call(`${DMS}.DescribeEndpoints`, { Filters: [{ Name: 'endpoint-id', Values: ['ok-endpoint'] }] });
    for (const r of [a, b]) {
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      expect(r.headers.get('x-amzn-requestid')).toMatch(UUID);
    }
    expect(a.headers.get('x-amzn-requestid')).not.toBe(b.headers.get('x-amzn-requestid'));
    expect((b.json.Endpoints as { EndpointArn: string }[])[0].EndpointArn).toBe((a.json.Endpoint as { EndpointArn: string }).EndpointArn);
  });

  it('an empty body is an empty input', async () => {
    const r = await call(`${DMS}.DescribeAccountAttributes`, '');
    expect(r.status).toBe(200);
    expect(r.json.AccountQuotas).toBeInstanceOf(Array);
  });
});

describe('timestamps', () => {
  it('are epoch seconds as JSON numbers', async () => {
    const before = Date.now() / 1000;
    const r = await call(`${DMS}.CreateReplicationInstance`, { ReplicationInstanceIdentifier: 'ts-instance', ReplicationInstanceClass: 'dms.t3.micro' });
    const after = Date.now() / 1000;
    expect(r.status).toBe(200);
    const created = (r.json.ReplicationInstance as Record<string, unknown>).InstanceCreateTime;
    expect(typeof created).toBe('number');
    expect(r.text).toMatch(/"InstanceCreateTime":\d+(\.\d{1,3})?[,}]/);
    expect(created as number).toBeGreaterThanOrEqual(Math.floor(before));
    expect(created as number).toBeLessThanOrEqual(Math.ceil(after));
  });
});

describe('regions from the SigV4 credential scope', () => {
  it('resources created with an eu-west-1 scope get eu-west-1 ARNs and are invisible from us-east-1', async () => {
    const created = await call(`${DMS}.CreateEndpoint`, kinesisTarget('regional'), { region: 'eu-west-1' });
    expect(created.status).toBe(200);
    const arn = (created.json.Endpoint as { EndpointArn: string }).EndpointArn;
    expect(arn).toMatch(/^arn:aws:dms:eu-west-1:000000000000:endpoint:[A-Z2-7]{26}$/);

    const inEu = await call(`${DMS}.DescribeEndpoints`, { Filters: [{ Name: 'endpoint-id', Values: ['regional'] }] }, { region: 'eu-west-1' });
    expect((inEu.json.Endpoints as { EndpointArn: string }[]).map((e) => e.EndpointArn)).toEqual([arn]);
    expectError(
      await call(`${DMS}.DescribeEndpoints`, { Filters: [{ Name: 'endpoint-id', Values: ['regional'] }] }, { region: 'us-east-1' }),
      'ResourceNotFoundFault',
      'No Endpoints found matching provided filters',
    );
    // No Authorization header: the default region.
    expectError(
      await call(`${DMS}.DescribeEndpoints`, { Filters: [{ Name: 'endpoint-arn', Values: [arn] }] }),
      'ResourceNotFoundFault',
      'No Endpoints found matching provided filters',
    );
    // Even with its ARN, the endpoint does not exist in another region.
    expectError(await call(`${DMS}.DeleteEndpoint`, { EndpointArn: arn }, { region: 'us-east-1' }), 'ResourceNotFoundFault', `Endpoint ${arn} not found`);
    // Identifiers are unique per region only.
    const again = await call(`${DMS}.CreateEndpoint`, kinesisTarget('regional'), { region: 'us-east-1' });
    expect((again.json.Endpoint as { EndpointArn: string }).EndpointArn).toMatch(/^arn:aws:dms:us-east-1:000000000000:endpoint:/);
    const dup = await call(`${DMS}.CreateEndpoint`, kinesisTarget('regional'), { region: 'eu-west-1' });
    expect(dup.status).toBe(400);
    // ResourceAlreadyExistsFault carries the ARN of the existing resource.
    expect(dup.json).toEqual({ __type: 'ResourceAlreadyExistsFault', message: 'The specified endpoint identifier already exists', resourceArn: arn });
  });

  it('an SDK client configured for a region signs with it', async () => {
    const ap = stack.client('ap-southeast-2');
    const out = await ap.send(new CreateReplicationInstanceCommand({ ReplicationInstanceIdentifier: 'sydney', ReplicationInstanceClass: 'dms.t3.micro' }));
    const arn = out.ReplicationInstance!.ReplicationInstanceArn!;
    expect(arn).toMatch(/^arn:aws:dms:ap-southeast-2:000000000000:rep:/);
    expect(out.ReplicationInstance!.AvailabilityZone).toBe('ap-southeast-2a');
    expect(out.ReplicationInstance!.InstanceCreateTime).toBeInstanceOf(Date);
    expect((await awsError(stack.dms.send(new DescribeReplicationInstancesCommand({ Filters: [{ Name: 'replication-instance-arn', Values: [arn] }] })))).name).toBe('ResourceNotFoundFault');
    const found = await ap.send(new DescribeReplicationInstancesCommand({ Filters: [{ Name: 'replication-instance-id', Values: ['sydney'] }] }));
    expect(found.ReplicationInstances!.map((i) => i.ReplicationInstanceArn)).toEqual([arn]);
    ap.destroy();
  });
});

describe('other services on the same port', () => {
  it('Kinesis_20131202 requests are answered by kinesalite', async () => {
    const name = uniqueName('fwd');
    // Through the dmslite port with the SDK, then seen directly on kinesalite.
    const viaDmslite = new KinesisClient({ endpoint: stack.url, region: 'us-east-1', credentials: TEST_CREDENTIALS, requestHandler: new NodeHttpHandler() });
    const direct = new KinesisClient({ endpoint: stack.kinesisEndpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, requestHandler: new NodeHttpHandler() });
    try {
      await viaDmslite.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      const summary = await direct.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      expect(summary.StreamDescriptionSummary!.StreamARN).toBe(`arn:aws:kinesis:us-east-1:000000000000:stream/${name}`);
    } finally {
      viaDmslite.destroy();
      direct.destroy();
    }
    // The shared kinesalite holds other files' streams too: start the listing just before ours.
    const listed = await call('Kinesis_20131202.ListStreams', { ExclusiveStartStreamName: name.slice(0, -1), Limit: 100 }, { region: 'us-east-1', service: 'kinesis' });
    expect(listed.status).toBe(200);
    expect(listed.json.StreamNames).toContain(name);
    // kinesalite's own errors come back unchanged.
    const missing = await call('Kinesis_20131202.DescribeStreamSummary', { StreamName: uniqueName('absent') }, { region: 'us-east-1', service: 'kinesis' });
    expect(missing.status).toBe(400);
    expect(missing.json.__type).toBe('ResourceNotFoundException');
  });

  it('DynamoDB_20120810 requests are answered by DynamoDB Local', async () => {
    const r = await call('DynamoDB_20120810.ListTables', {}, { region: 'us-east-1', service: 'dynamodb', contentType: 'application/x-amz-json-1.0' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(r.json.TableNames).toContain(stack.tableName);
  });

  it('another service is a clear 400 naming the target', async () => {
    for (const target of ['AmazonSQS.ListQueues', 'Logs_20140328.DescribeLogGroups', 'AWSStepFunctions.ListStateMachines']) {
      expectError(
        await call(target, {}, { region: 'us-east-1', service: 'sqs' }),
        'UnknownOperationException',
        `dmslite serves DMS, Kinesis and DynamoDB only; the service of X-Amz-Target '${target}' is not available here`,
      );
    }
  });
});

// ------------------------------------------------------------------ fuzz

describe('fuzz', () => {
  it('200 random bodies and targets get 200 or an AWS-shaped 400, never an internal failure', async () => {
    const seed = Number(process.env.DMSLITE_FUZZ_SEED ?? 20240102);
    const f = fuzzer(seed);
    const seen = new Map<string, number>();
    const count = Number(process.env.DMSLITE_FUZZ_COUNT ?? 200);
    for (let i = 0; i < count; i++) {
      const { target, body, region } = f.next();
      const res = await call(target, body, region ? { region } : {});
      const context = `#${i} seed=${seed} target=${JSON.stringify(target)} body=${JSON.stringify(body)} -> ${res.status} ${res.text.slice(0, 300)}`;
      expect([200, 400], context).toContain(res.status);
      expect(res.headers.get('content-type'), context).toBe('application/x-amz-json-1.1');
      expect(res.headers.get('x-amzn-requestid'), context).toMatch(UUID);
      expect(typeof res.json, context).toBe('object');
      if (res.status === 400) {
        expect(typeof res.json.__type, context).toBe('string');
        expect(typeof res.json.message, context).toBe('string');
        expect(res.json.__type, context).not.toBe('InternalFailure');
      }
      const key = res.status === 200 ? '200' : String(res.json.__type);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    if (process.env.DMSLITE_FUZZ_DEBUG) console.log(JSON.stringify([...seen]));
    // The garbage reached every layer: routing, parsing, validation and the operations.
    expect([...seen.keys()]).toEqual(expect.arrayContaining(['UnknownOperationException', 'SerializationException', 'InvalidParameterValueException']));
    // Still serving.
    const after = await call(`${DMS}.DescribeAccountAttributes`, {});
    expect(after.status).toBe(200);
  });
});
