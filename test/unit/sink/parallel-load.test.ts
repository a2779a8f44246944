import { describe, expect, it } from 'vitest';
import type { PutRecordsCommandInput, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { createKinesisSink, parallelLoadSinkOptions, partitionKeyHash } from '../../../core/sink/kinesis/index.js';

describe('parallelLoadSinkOptions', () => {
  it('is null by default: the shared sink is used as before', () => {
    expect(parallelLoadSinkOptions({ parallelLoadThreads: 0, parallelLoadBufferSize: 0, parallelLoadQueuesPerThread: 0 })).toBeNull();
  });
  it('maps threads to lanes and buffer × queues to the batch, within AWS limits', () => {
    expect(parallelLoadSinkOptions({ parallelLoadThreads: 4, parallelLoadBufferSize: 0, parallelLoadQueuesPerThread: 0 }))
      .toEqual({ maxInFlight: 4, maxBatchRecords: 50, maxBufferedRecords: 400 });
    expect(parallelLoadSinkOptions({ parallelLoadThreads: 8, parallelLoadBufferSize: 100, parallelLoadQueuesPerThread: 8 }))
      .toEqual({ maxInFlight: 8, maxBatchRecords: 500, maxBufferedRecords: 8 * 1000 });
    expect(parallelLoadSinkOptions({ parallelLoadThreads: 99, parallelLoadBufferSize: 5000, parallelLoadQueuesPerThread: 1 }))
      .toEqual({ maxInFlight: 32, maxBatchRecords: 500, maxBufferedRecords: 32 * 1000 });
  });
});

describe('a table sink with ParallelLoadThreads lanes', () => {
  it('runs one call per lane at once, batches of the configured size, per-key order kept', async () => {
    const opts = parallelLoadSinkOptions({ parallelLoadThreads: 4, parallelLoadBufferSize: 25, parallelLoadQueuesPerThread: 2 })!;
    let inFlight = 0;
    let maxInFlight = 0;
    const calls: { key: string; data: string }[][] = [];
    const client = {
      async putRecords(input: PutRecordsCommandInput): Promise<PutRecordsCommandOutput> {
        const call = input.Records!.map((r) => ({ key: r.PartitionKey!, data: Buffer.from(r.Data!).toString() }));
        calls.push(call);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        return { $metadata: {}, FailedRecordCount: 0, Records: call.map(() => ({ SequenceNumber: '1', ShardId: 's' })) };
      },
    };
    const sink = createKinesisSink({ client, streamName: 's', ...opts });
    const keys = Array.from({ length: 64 }, (_, i) => `k${i}`);
    const writes: Promise<void>[] = [];
    for (let b = 0; b < 40; b++) {
      writes.push(sink.write(Array.from({ length: 100 }, (_, i) => ({ partitionKey: keys[(b * 100 + i) % 64]!, data: Buffer.from(String(b * 100 + i)) }))));
    }
    await Promise.all(writes);
    await sink.close();
    expect(calls.flat()).toHaveLength(4000);
    expect(Math.max(...calls.map((c) => c.length))).toBe(50);
    expect(maxInFlight).toBe(4);
    // per key, the order of first appearance is the write order
    const seen = new Map<string, number>();
    for (const r of calls.flat()) {
      const n = Number(r.data);
      expect(n).toBeGreaterThan(seen.get(r.key) ?? -1);
      seen.set(r.key, n);
    }
    // one key → one lane
    const lanes = new Set(keys.map((k) => partitionKeyHash(k) % 4));
    expect(lanes.size).toBe(4);
  });
});
