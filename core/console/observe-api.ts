import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { ApiDeps } from '../api/context.js';
import { errorResult, newRequestId, successResult, type HttpResult } from '../api/protocol.js';
import { parseArn } from '../model/arn.js';
import { DmsFault, InvalidParameterValueException, ResourceNotFoundFault, UnknownOperationException } from '../model/errors.js';
import type { TableStatsDoc, TaskDoc } from '../model/task.js';
import { METRIC_NAMES } from '../observe/metrics.js';
import { createKinesisClient, parseStreamArn } from '../sink/kinesis/client.js';
import { resourceKey, tableStatsPk } from '../state/resources.js';

// What the console and `dmslite watch` read besides the DMS API: a task's metric points, its log
// tail and the latest records of its target stream. AWS shows these through CloudWatch and Kinesis;
// dmslite answers them itself, on the same port and in the same protocol (AWS JSON 1.1, target
// `DmsliteConsole.<Operation>`), so the same signing and errors apply. Read-only.

export const CONSOLE_TARGET_PREFIX = 'DmsliteConsole';

/** Reads a task's recent log lines (core/observe's reader when present). */
export type LogTailReader = (deps: ApiDeps, taskArn: string, maxLines: number) => Promise<string[] | null>;

export interface ObserveDeps extends ApiDeps {
  logTail?: LogTailReader;
  /** Kinesis client for a region (tests may pass their own). */
  kinesis?: (region: string) => KinesisClient;
}

export interface StreamRecord {
  ShardId: string;
  SequenceNumber: string;
  PartitionKey: string;
  /** Epoch seconds. */
  ApproximateArrivalTimestamp?: number;
  /** The record's text (DMS writes JSON). */
  Data: string;
}

const MAX_RECORDS = 200;
/** GetRecords calls per shard and request, and records per call: bound the work of one poll on a busy
 * stream (kinesalite takes ~3 s for one 10,000-record call, past the client's timeout on a loaded
 * machine); a stream far ahead is caught up over the next polls, the cursor moving on each time. */
const MAX_CALLS_PER_SHARD = 4;
const RECORDS_PER_CALL = 1000;
/** A stream being loaded keeps kinesalite busy: one read may take seconds (15 s was seen to time out);
 * a GetRecords call that times out ends the read for that poll without an error. */
const READ_TIMEOUT_MS = 10_000;

type Op = (deps: ObserveDeps, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

const OPERATIONS: Record<string, Op> = {
  GetTaskMetrics: async (deps, input) => {
    const task = await findTask(deps, input);
    const m = task._metrics;
    return { ReplicationTaskArn: task.ReplicationTaskArn, MetricNames: [...METRIC_NAMES], Interval: m?.interval ?? 5, Points: m?.points ?? [] };
  },
  // The source catalog's row estimates taken when each table's full load started (DescribeTableStatistics
  // has no such field): the console and `dmslite watch` show a table's load as a percentage with them.
  GetTableEstimates: async (deps, input) => {
    const task = await findTask(deps, input);
    const stats = await deps.table.all<TableStatsDoc>(tableStatsPk(task.ReplicationTaskArn));
    return {
      ReplicationTaskArn: task.ReplicationTaskArn,
      Tables: stats.map(({ doc: s }) => ({ SchemaName: s.SchemaName, TableName: s.TableName, ...(typeof s._estimatedRows === 'number' ? { EstimatedRows: s._estimatedRows } : {}) })),
    };
  },
  GetTaskLogTail: async (deps, input) => {
    const task = await findTask(deps, input);
    const lines = int(input, 'MaxLines', 100, 1, 500);
    const out = deps.logTail ? await deps.logTail(deps, task.ReplicationTaskArn, lines) : null;
    return { ReplicationTaskArn: task.ReplicationTaskArn, Available: out !== null, Lines: out ?? [] };
  },
  GetStreamRecords: async (deps, input) => {
    const task = await findTask(deps, input);
    const limit = int(input, 'Limit', 20, 1, MAX_RECORDS);
    const cursor = input.Cursor === undefined ? undefined : cursorFrom(input.Cursor);
    const target = await deps.table.get<{ KinesisSettings?: { StreamArn?: string } }>(resourceKey('endpoint', scopeOf(deps, task.ReplicationTaskArn), task.TargetEndpointArn));
    const streamArn = target?.doc.KinesisSettings?.StreamArn;
    const stream = streamArn ? parseStreamArn(streamArn) : null;
    if (!stream) return { ReplicationTaskArn: task.ReplicationTaskArn, Records: [], Cursor: {} };
    const region = stream.region ?? scopeOf(deps, task.ReplicationTaskArn).region;
    const client = deps.kinesis?.(region) ?? createKinesisClient({ endpoint: deps.config.kinesisEndpoint, region, maxAttempts: 1, requestTimeoutMs: READ_TIMEOUT_MS });
    try {
      const { records, cursor: next } = await readLatest(client, stream.streamName, cursor, limit);
      return { ReplicationTaskArn: task.ReplicationTaskArn, StreamArn: streamArn, Records: records, Cursor: next };
    } catch (e) {
      // Slow, not broken (see READ_TIMEOUT_MS): nothing new this time.
      if ((e as Error).name === 'TimeoutError') return { ReplicationTaskArn: task.ReplicationTaskArn, StreamArn: streamArn, Records: [], Cursor: cursor ?? {} };
      throw new InvalidParameterValueException(`Cannot read the target stream ${streamArn}: ${(e as Error).message}`);
    } finally {
      if (!deps.kinesis) client.destroy();
    }
  },
};

export const CONSOLE_OPERATIONS = Object.keys(OPERATIONS);

/** One console read: never throws; AWS-shaped errors. */
export async function handleConsoleRequest(target: string, body: string, deps: ObserveDeps): Promise<HttpResult> {
  const requestId = newRequestId();
  try {
    const op = target.slice(CONSOLE_TARGET_PREFIX.length + 1);
    const impl = target.startsWith(`${CONSOLE_TARGET_PREFIX}.`) && Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : undefined;
    if (!impl) throw new UnknownOperationException(`dmslite's console API has no operation ${op || target}`);
    let input: unknown;
    try {
      input = body.trim() ? JSON.parse(body) : {};
    } catch {
      throw new InvalidParameterValueException('The request body is not valid JSON');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidParameterValueException('The request body must be a JSON object');
    return successResult(requestId, await impl(deps, input as Record<string, unknown>));
  } catch (e) {
    return errorResult(requestId, e instanceof DmsFault ? e : new InvalidParameterValueException((e as Error).message));
  }
}

function scopeOf(deps: ApiDeps, arn: string) {
  const parsed = parseArn(arn);
  return { account: parsed?.account ?? deps.config.accountId, region: parsed?.region ?? deps.config.defaultRegion };
}

async function findTask(deps: ApiDeps, input: Record<string, unknown>): Promise<TaskDoc> {
  const arn = input.ReplicationTaskArn;
  if (typeof arn !== 'string' || !arn) throw new InvalidParameterValueException('ReplicationTaskArn is required');
  const parsed = parseArn(arn);
  if (!parsed || parsed.type !== 'task') throw new InvalidParameterValueException(`Invalid task ARN: ${arn}`);
  const found = await deps.table.get<TaskDoc>(resourceKey('task', scopeOf(deps, arn), arn));
  if (!found) throw new ResourceNotFoundFault(`Replication task ${arn} not found`);
  return found.doc;
}

function int(input: Record<string, unknown>, name: string, dflt: number, min: number, max: number): number {
  const v = input[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidParameterValueException(`${name} must be an integer from ${min} to ${max}`);
  }
  return v;
}

/** Per shard: the sequence number after which to read next. */
type Cursor = Record<string, string>;

function cursorFrom(v: unknown): Cursor {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((s) => typeof s !== 'string' || !/^\d+$/.test(s))) {
    throw new InvalidParameterValueException('Cursor must be the Cursor of a previous GetStreamRecords answer');
  }
  return v as Cursor;
}

/**
 * The records written since `cursor` (the first time: in the last minute), newest `limit` of them,
 * oldest first; and where to continue.
 */
export async function readLatest(client: KinesisClient, streamName: string, cursor: Cursor | undefined, limit: number): Promise<{ records: StreamRecord[]; cursor: Cursor }> {
  const shards = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const next: Cursor = { ...(cursor ?? {}) };
  const out: StreamRecord[] = [];
  for (const shard of shards) {
    const id = shard.ShardId!;
    const after = cursor?.[id];
    const it = await client.send(
      new GetShardIteratorCommand(
        after
          ? { StreamName: streamName, ShardId: id, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
          : cursor
            ? { StreamName: streamName, ShardId: id, ShardIteratorType: 'TRIM_HORIZON' }
            : { StreamName: streamName, ShardId: id, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(Date.now() - 60_000) },
      ),
    );
    let iterator = it.ShardIterator;
    const kept: StreamRecord[] = [];
    for (let call = 0; iterator && call < MAX_CALLS_PER_SHARD; call++) {
      let res;
      try {
        res = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: RECORDS_PER_CALL }));
      } catch (e) {
        // A slow read (an emulator busy with a load) is no error: what was read counts, the next poll goes on.
        if ((e as Error).name === 'TimeoutError') break;
        throw e;
      }
      for (const r of res.Records ?? []) {
        kept.push({
          ShardId: id,
          SequenceNumber: r.SequenceNumber!,
          PartitionKey: r.PartitionKey!,
          ...(r.ApproximateArrivalTimestamp ? { ApproximateArrivalTimestamp: r.ApproximateArrivalTimestamp.getTime() / 1000 } : {}),
          Data: Buffer.from(r.Data ?? new Uint8Array()).toString('utf8'),
        });
        if (kept.length > limit) kept.shift();
      }
      if (res.Records?.length) next[id] = res.Records[res.Records.length - 1].SequenceNumber!;
      iterator = res.NextShardIterator;
      if (!res.Records?.length || res.MillisBehindLatest === 0) break;
    }
    out.push(...kept);
  }
  out.sort((a, b) => (a.ApproximateArrivalTimestamp ?? 0) - (b.ApproximateArrivalTimestamp ?? 0));
  return { records: out.slice(-limit), cursor: next };
}
