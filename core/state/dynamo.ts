import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  ResourceInUseException,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

// A small document store on one DynamoDB table (pk, sk). Every item holds a JSON document
// and a version; every write is conditional, so concurrent writers never both succeed.

export interface Key {
  pk: string;
  sk: string;
}

export interface Stored<T> {
  key: Key;
  doc: T;
  version: number;
  /** Reference count kept beside the document (tasks using an endpoint or instance). */
  refs: number;
}

/** A write inside one atomic transaction. */
export type WriteOp =
  | { kind: 'put'; key: Key; doc: unknown; ifVersion?: number; ifAbsent?: boolean; attrs?: Record<string, number> }
  | { kind: 'delete'; key: Key; ifVersion?: number; ifAttrZero?: string }
  | { kind: 'add'; key: Key; attr: string; delta: number; mustExist: true }
  | { kind: 'check'; key: Key; exists: boolean };

/** Thrown when a condition of a write failed; `index` names the op that failed when known. */
export class ConditionFailed extends Error {
  constructor(readonly index: number | null, readonly reasons: string[]) {
    super(`condition failed at op ${index}`);
  }
}

export const TABLE_KEY_SCHEMA = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: 'sk', AttributeType: 'S' as const },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
};

export function createDynamoClient(opts: { endpoint?: string; region?: string }): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: opts.endpoint,
    region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 10000 }),
    // DynamoDB Local keeps one database per access key: pin one so every process sees the same data.
    ...(opts.endpoint && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'dmslite', secretAccessKey: 'dmslite' } }
      : {}),
  });
}

export class DocumentTable {
  constructor(readonly client: DynamoDBClient, readonly tableName: string) {}

  async ensureTable(): Promise<void> {
    try {
      await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      return;
    } catch (e) {
      if ((e as Error).name !== 'ResourceNotFoundException') throw e;
    }
    try {
      await this.client.send(
        new CreateTableCommand({ TableName: this.tableName, BillingMode: 'PAY_PER_REQUEST', ...TABLE_KEY_SCHEMA }),
      );
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
  }

  async get<T>(key: Key): Promise<Stored<T> | null> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: toKey(key), ConsistentRead: true }),
    );
    return out.Item ? fromItem<T>(out.Item) : null;
  }

  /** Items of one partition with sk > after, in sk order; `pageSize` items per DynamoDB call (default: up to 1 MB). */
  async *query<T>(pk: string, after?: string, pageSize?: number): AsyncGenerator<Stored<T>> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          KeyConditionExpression: after !== undefined ? 'pk = :pk AND sk > :after' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk }, ...(after !== undefined ? { ':after': { S: after } } : {}) },
          ExclusiveStartKey: startKey,
          ...(pageSize ? { Limit: pageSize } : {}),
        }),
      );
      for (const item of out.Items ?? []) yield fromItem<T>(item);
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  }

  async all<T>(pk: string): Promise<Stored<T>[]> {
    const out: Stored<T>[] = [];
    for await (const s of this.query<T>(pk)) out.push(s);
    return out;
  }

  /** Atomically applies every op, or none; throws ConditionFailed when a condition does not hold. */
  async write(ops: WriteOp[]): Promise<void> {
    const items = ops.map((op) => this.toTransactItem(op));
    try {
      if (items.length === 1) {
        await this.sendSingle(items[0]);
      } else {
        await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      }
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new ConditionFailed(0, ['ConditionalCheckFailed']);
      if (e instanceof TransactionCanceledException) {
        const reasons = (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
        const idx = reasons.findIndex((r) => r === 'ConditionalCheckFailed');
        if (idx >= 0) throw new ConditionFailed(idx, reasons);
        if (reasons.some((r) => r === 'TransactionConflict')) throw new ConditionFailed(null, reasons);
      }
      throw e;
    }
  }

  private async sendSingle(item: TransactWriteItem): Promise<void> {
    if (item.Put) await this.client.send(new PutItemCommand(item.Put));
    else if (item.Delete) await this.client.send(new DeleteItemCommand(item.Delete));
    else if (item.Update) await this.client.send(new UpdateItemCommand(item.Update));
    else if (item.ConditionCheck) {
      // A lone check is a read.
      const got = await this.get(fromKey(item.ConditionCheck.Key!));
      const wantExists = item.ConditionCheck.ConditionExpression === 'attribute_exists(pk)';
      if (Boolean(got) !== wantExists) throw new ConditionFailed(0, ['ConditionalCheckFailed']);
    }
  }

  private toTransactItem(op: WriteOp): TransactWriteItem {
    const TableName = this.tableName;
    switch (op.kind) {
      case 'put': {
        if (op.ifVersion !== undefined) {
          // Update, not Put: keeps attributes maintained by 'add' (reference counts).
          return {
            Update: {
              TableName,
              Key: toKey(op.key),
              UpdateExpression: 'SET doc = :doc, ver = :nv',
              ConditionExpression: 'ver = :v',
              ExpressionAttributeValues: {
                ':doc': { S: JSON.stringify(op.doc) },
                ':nv': { N: String(op.ifVersion + 1) },
                ':v': { N: String(op.ifVersion) },
              },
            },
          };
        }
        const item: Record<string, AttributeValue> = {
          ...toKey(op.key),
          doc: { S: JSON.stringify(op.doc) },
          ver: { N: '1' },
        };
        for (const [k, v] of Object.entries(op.attrs ?? {})) item[k] = { N: String(v) };
        return {
          Put: { TableName, Item: item, ...(op.ifAbsent ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}) },
        };
      }
      case 'delete': {
        const conds: string[] = ['attribute_exists(pk)'];
        const values: Record<string, AttributeValue> = {};
        if (op.ifVersion !== undefined) {
          conds.push('ver = :v');
          values[':v'] = { N: String(op.ifVersion) };
        }
        if (op.ifAttrZero) {
          conds.push(`(attribute_not_exists(#z) OR #z = :zero)`);
          values[':zero'] = { N: '0' };
        }
        return {
          Delete: {
            TableName,
            Key: toKey(op.key),
            ConditionExpression: conds.join(' AND '),
            ...(op.ifAttrZero ? { ExpressionAttributeNames: { '#z': op.ifAttrZero } } : {}),
            ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          },
        };
      }
      case 'add':
        return {
          Update: {
            TableName,
            Key: toKey(op.key),
            UpdateExpression: 'ADD #a :d',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#a': op.attr },
            ExpressionAttributeValues: { ':d': { N: String(op.delta) } },
          },
        };
      case 'check':
        return {
          ConditionCheck: {
            TableName,
            Key: toKey(op.key),
            ConditionExpression: op.exists ? 'attribute_exists(pk)' : 'attribute_not_exists(pk)',
          },
        };
    }
  }
}

function toKey(key: Key): Record<string, AttributeValue> {
  return { pk: { S: key.pk }, sk: { S: key.sk } };
}

function fromKey(item: Record<string, AttributeValue>): Key {
  return { pk: item.pk.S!, sk: item.sk.S! };
}

function fromItem<T>(item: Record<string, AttributeValue>): Stored<T> {
  return {
    key: fromKey(item),
    doc: JSON.parse(item.doc.S!) as T,
    version: Number(item.ver?.N ?? 0),
    refs: Number(item.refs?.N ?? 0),
  };
}
