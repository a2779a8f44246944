// Kinesis helpers of the benchmarks: stream readers that keep ApproximateArrivalTimestamp
// (kinesalite stamps it with Date.now() while it processes the PutRecords call, just before it
// acknowledges), and a bare PutRecords driver for the sink ceiling.
import {
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../core/sink/kinesis/client.js';
import type { KinesisRecord } from '../../core/sink/kinesis/sink.js';

export { createStream } from '../../test/support/kinesis.js';

export function kinesisClient(endpoint: string): KinesisClient {
  return createKinesisClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
}

export interface SeenRecord {
  partitionKey: string;
  data: Uint8Array;
  /** kinesalite's arrival time, epoch ms. */
  arrivalMs: number;
}

/** Reads one shard from TRIM_HORIZON onwards, across calls (keeps its iterator). */
export class ShardReader {
  private iterator: string | undefined;
  count = 0;
  constructor(private readonly client: KinesisClient, private readonly stream: string, readonly shardId: string) {}

  private async init(): Promise<void> {
    if (this.iterator) return;
    const it = await this.client.send(new GetShardIteratorCommand({ StreamName: this.stream, ShardId: this.shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    this.iterator = it.ShardIterator;
  }

  /** Reads what is there now (until an empty page); returns the records read. */
  async drain(onRecord: (r: SeenRecord) => void): Promise<number> {
    await this.init();
    let n = 0;
    for (;;) {
      const page = await this.client.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: 10_000 }));
      this.iterator = page.NextShardIterator;
      const recs = page.Records ?? [];
      for (const r of recs) {
        onRecord({ partitionKey: r.PartitionKey!, data: r.Data!, arrivalMs: r.ApproximateArrivalTimestamp!.getTime() });
      }
      n += recs.length;
      this.count += recs.length;
      if (recs.length === 0 || !this.iterator) return n;
    }
  }

  /** Reads until `total` records were read by this reader (or the deadline passes). */
  async readUntil(total: number, onRecord: (r: SeenRecord) => void, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.count < total) {
      if (Date.now() > deadline) return false;
      const n = await this.drain(onRecord);
      if (n === 0) await new Promise((r) => setTimeout(r, 200));
    }
    return true;
  }
}

/** Deletes a stream (kinesalite drops its records at once: a store that grows slows it down). */
export async function deleteStream(endpoint: string, stream: string): Promise<void> {
  const client = kinesisClient(endpoint);
  try {
    await client.send(new DeleteStreamCommand({ StreamName: stream }));
  } finally {
    client.destroy();
  }
}

export async function shardIds(client: KinesisClient, stream: string): Promise<string[]> {
  const out = await client.send(new ListShardsCommand({ StreamName: stream }));
  return (out.Shards ?? []).map((s) => s.ShardId!);
}

/** Every record of the stream now, all shards read in parallel. */
export async function readWholeStream(endpoint: string, stream: string, onRecord: (r: SeenRecord) => void): Promise<number> {
  const client = kinesisClient(endpoint);
  try {
    const ids = await shardIds(client, stream);
    const counts = await Promise.all(ids.map((id) => new ShardReader(client, stream, id).drain(onRecord)));
    return counts.reduce((a, b) => a + b, 0);
  } finally {
    client.destroy();
  }
}

/**
 * Bare PutRecords of pre-built records: `perCall` records per call, `inFlight` calls at once
 * (each worker takes the next chunk). `total` (default all of them) sends the records over again
 * until that many went: the volume of a larger run from fewer records in memory (kinesalite keys
 * what it stores by sequence number, so a record sent twice is stored twice, at the same cost).
 * Failed entries are resent. Returns records/s.
 */
export async function rawPutRecords(
  endpoint: string,
  stream: string,
  records: KinesisRecord[],
  opts: { perCall: number; inFlight: number; total?: number },
): Promise<{ seconds: number; rate: number; calls: number; failedEntries: number }> {
  const client = kinesisClient(endpoint);
  const total = opts.total ?? records.length;
  const take = (from: number, n: number): KinesisRecord[] => {
    const out: KinesisRecord[] = [];
    for (let i = from; i < from + n; i++) out.push(records[i % records.length]!);
    return out;
  };
  let next = 0;
  let calls = 0;
  let failedEntries = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: opts.inFlight }, async () => {
        while (next < total) {
          let batch = take(next, Math.min(opts.perCall, total - next));
          next += batch.length;
          while (batch.length > 0) {
            calls++;
            const out = await client.send(new PutRecordsCommand({
              StreamName: stream,
              Records: batch.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
            }));
            const res = out.Records ?? [];
            const failed = batch.filter((_, i) => res[i]?.ErrorCode);
            failedEntries += failed.length;
            batch = failed;
          }
        }
      }),
    );
  } finally {
    client.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, rate: total / seconds, calls, failedEntries };
}

/** The `id` of a record's data (the benchmarks' tables all key on `id`). */
export const idOf = (data: Uint8Array) => Number(/"id":\s*(\d+)/.exec(Buffer.from(data).toString('utf8'))?.[1]);

export interface Collected {
  n: number;
  firstArrival: number;
  lastArrival: number;
  missing: number;
  duplicates: number;
}

/**
 * Reads a shard until `expected` records with partition key `key` arrived (or `timeoutMs` passed);
 * checks ids first..first+count-1 once each.
 */
export async function collect(
  reader: ShardReader,
  key: string,
  expected: number,
  ids: { first: number; count: number },
  onRecord?: (r: SeenRecord, id: number) => void,
  timeoutMs = 300_000,
): Promise<Collected> {
  const seen = new Uint8Array(ids.count);
  let n = 0;
  let firstArrival = Infinity;
  let lastArrival = 0;
  const deadline = Date.now() + timeoutMs;
  while (n < expected && Date.now() < deadline) {
    const got = await reader.drain((r) => {
      if (r.partitionKey !== key) return;
      n++;
      if (r.arrivalMs < firstArrival) firstArrival = r.arrivalMs;
      if (r.arrivalMs > lastArrival) lastArrival = r.arrivalMs;
      const id = idOf(r.data);
      const i = id - ids.first;
      if (i >= 0 && i < ids.count && seen[i]! < 255) seen[i]!++;
      onRecord?.(r, id);
    });
    if (got === 0) await new Promise((r) => setTimeout(r, 100));
  }
  let missing = 0;
  let duplicates = 0;
  for (let i = 0; i < ids.count; i++) {
    if (seen[i] === 0) missing++;
    else if (seen[i]! > 1) duplicates += seen[i]! - 1;
  }
  return { n, firstArrival, lastArrival, missing, duplicates };
}

/**
 * The bare pipelines' sink: one PutRecords in flight, whatever queued meanwhile (≤ 500) in the next
 * call. `send` makes the call.
 */
export function oneLane(send: (records: { Data: Buffer; PartitionKey: string }[]) => Promise<unknown>) {
  const queue: { Data: Buffer; PartitionKey: string }[] = [];
  let busy = false;
  let acked = 0;
  const pump = async (): Promise<void> => {
    if (busy || queue.length === 0) return;
    busy = true;
    const batch = queue.splice(0, 500);
    await send(batch);
    acked += batch.length;
    busy = false;
    void pump();
  };
  return {
    push(record: { Data: Buffer; PartitionKey: string }): void {
      queue.push(record);
      void pump();
    },
    /** Waits until `n` records were acknowledged (or `timeoutMs` passed). */
    async acknowledged(n: number, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (acked < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
