import {
  CreateEndpointCommand,
  DescribeEndpointsCommand,
} from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('smoke', () => {
  it('creates and describes a kinesis endpoint', async () => {
    // No filters on an empty account: an empty list, not ResourceNotFoundFault.
    expect((await stack.dms.send(new DescribeEndpointsCommand({}))).Endpoints).toEqual([]);
    const out = await stack.dms.send(
      new CreateEndpointCommand({
        EndpointIdentifier: 'target1',
        EndpointType: 'target',
        EngineName: 'kinesis',
        KinesisSettings: { StreamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s1', ServiceAccessRoleArn: 'arn:aws:iam::000000000000:role/r' },
      }),
    );
    expect(out.Endpoint?.EndpointArn).toMatch(/^arn:aws:dms:us-east-1:000000000000:endpoint:[A-Z2-7]{26}$/);
    const d = await stack.dms.send(new DescribeEndpointsCommand({}));
    expect(d.Endpoints?.map((e) => e.EndpointIdentifier)).toEqual(['target1']);
  });
});
