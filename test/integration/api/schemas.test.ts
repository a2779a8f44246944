import { DescribeRefreshSchemasStatusCommand, DescribeSchemasCommand, RefreshSchemasCommand } from '@aws-sdk/client-database-migration-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsError, createInstance, createKinesisTarget, createMySqlSource } from '../../support/dms.js';
import { startMariaDb, type MariaDb } from '../../support/mariadb.js';
import { startTestStack, type TestStack } from '../../support/stack.js';

let stack: TestStack;
let db: MariaDb;

beforeAll(async () => {
  [stack, db] = await Promise.all([startTestStack(), startMariaDb()]);
  await db.query('CREATE DATABASE shop');
  await db.query('CREATE DATABASE crm');
});
afterAll(async () => {
  await Promise.all([stack?.stop(), db?.stop()]);
});

describe('schemas', () => {
  it('RefreshSchemas reads the source; DescribeSchemas lists its user schemas', async () => {
    const source = (await createMySqlSource(stack.dms, 'src', { port: db.port, ...db.dmsUser })).EndpointArn!;
    const target = (await createKinesisTarget(stack.dms, 'tgt', 's')).EndpointArn!;
    const instance = (await createInstance(stack.dms, 'inst')).ReplicationInstanceArn!;
    expect((await awsError(stack.dms.send(new DescribeSchemasCommand({ EndpointArn: source })))).name).toBe('ResourceNotFoundFault');
    const refreshing = await stack.dms.send(new RefreshSchemasCommand({ EndpointArn: source, ReplicationInstanceArn: instance }));
    expect(refreshing.RefreshSchemasStatus).toMatchObject({ EndpointArn: source, ReplicationInstanceArn: instance, Status: 'refreshing' });
    const status = await stack.dms.send(new DescribeRefreshSchemasStatusCommand({ EndpointArn: source }));
    expect(status.RefreshSchemasStatus!.Status).toBe('successful');
    expect(status.RefreshSchemasStatus!.LastRefreshDate).toBeInstanceOf(Date);
    const schemas = await stack.dms.send(new DescribeSchemasCommand({ EndpointArn: source }));
    expect(schemas.Schemas).toEqual(['crm', 'shop']);
    // A Kinesis endpoint has no schemas: the refresh fails and says why.
    await stack.dms.send(new RefreshSchemasCommand({ EndpointArn: target, ReplicationInstanceArn: instance }));
    const failed = await stack.dms.send(new DescribeRefreshSchemasStatusCommand({ EndpointArn: target }));
    expect(failed.RefreshSchemasStatus).toMatchObject({ Status: 'failed', LastFailureMessage: expect.stringContaining('kinesis') });
    expect((await awsError(stack.dms.send(new DescribeSchemasCommand({ EndpointArn: target })))).name).toBe('InvalidResourceStateFault');
  });
});
