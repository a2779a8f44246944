// Describe* with an ARN or identifier filter reads the named documents directly (GetItem), never
// the partition (Query/Scan), and still gives the same pages as a partition read.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoClient, DocumentTable } from '../../../core/state/dynamo.js';
import { lookupResources, type ResourceLookup } from '../../../core/state/lookup.js';
import { identKey, resourceKey } from '../../../core/state/resources.js';
import { uniqueName } from '../../support/stack.js';

const scope = { account: '000000000000', region: 'us-east-1' };
const arn = (i: number) => `arn:aws:dms:us-east-1:000000000000:task:T${String(i).padStart(4, '0')}`;
let table: DocumentTable;
const sent: string[] = [];

beforeAll(async () => {
  const client = createDynamoClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1' });
  client.middlewareStack.add((next, context) => async (args) => {
    sent.push(String(context.commandName));
    return next(args);
  }, { step: 'initialize' });
  table = new DocumentTable(client, uniqueName('dmslite-lookup'));
  await table.ensureTable();
  for (let i = 0; i < 150; i += 25) {
    await Promise.all(Array.from({ length: 25 }, (_, j) => i + j).map((n) => table.write([
      { kind: 'put', key: resourceKey('task', scope, arn(n)), doc: { arn: arn(n), id: `task-${n}` } },
      { kind: 'put', key: identKey('task', scope, `Task-${n}`), doc: { arn: arn(n) } },
    ])));
  }
});
afterAll(() => table?.client.destroy());

async function collect(l: Partial<ResourceLookup>, after?: string) {
  sent.length = 0;
  const out: string[] = [];
  for await (const s of lookupResources<{ arn: string }>(table, { kind: 'task', scope, filters: undefined, arnFilter: 'replication-task-arn', idFilter: 'replication-task-id', ...l }, after)) out.push(s.doc.arn);
  return { arns: out, commands: [...sent] };
}

describe('lookupResources', () => {
  it('ARN filters: one GetItem per value, in key order, after the marker, missing ones skipped', async () => {
    const r = await collect({ filters: [{ Name: 'replication-task-arn', Values: [arn(7), arn(3), 'arn:aws:dms:us-east-1:000000000000:task:NOPE', arn(3)] }] });
    expect(r.arns).toEqual([arn(3), arn(7)]);
    expect(r.commands.sort()).toEqual(['GetItemCommand', 'GetItemCommand', 'GetItemCommand']);
    expect((await collect({ filters: [{ Name: 'replication-task-arn', Values: [arn(7), arn(3)] }] }, arn(3))).arns).toEqual([arn(7)]);
  });

  it('identifier filters: through the uniqueness item, case-insensitively, then the document', async () => {
    const r = await collect({ filters: [{ Name: 'replication-task-id', Values: ['task-12', 'TASK-99', 'nobody'] }] });
    expect(r.arns).toEqual([arn(12), arn(99)]);
    expect(r.commands.every((c) => c === 'GetItemCommand')).toBe(true);
    expect(r.commands).toHaveLength(5);
  });

  it('other filters: the partition in key order, one page per call', async () => {
    const all = await collect({ filters: [{ Name: 'migration-type', Values: ['cdc'] }], pageSize: 101 });
    expect(all.arns).toEqual(Array.from({ length: 150 }, (_, i) => arn(i)));
    expect(all.commands).toEqual(['QueryCommand', 'QueryCommand']);
  });
});
