// The Kinesis sink against real emulators: kinesalite (behind a fault-injecting proxy)
// and kinesis-mock. No timed assertions; timeouts are only there to stop a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteStreamCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  createKinesisClient,
  createKinesisSink,
  leanPutRecords,
  StreamNotFoundError,
  type KinesisRecord,
} from '../../../core/sink/kinesis/index.js';
import {
  createStream,
  readAllRecords,
  startFaultyKinesisProxy,
  startKinesalite,
  startKinesisMock,
  type KinesisServer,
  type ReadRecord,
} from '../../support/kinesis.js';

const REGION = 'us-east-1';

/** Per key: the records' `seq` ordered by the position of their LAST copy in the stream. */
function lastCopySeqsByKey(records: ReadRecord[]): Map<string, number[]> {
  const byKey = new Map<string, Map<number, number>>();
  records.forEach((r, position) => {
    const body = JSON.parse(r.data) as { key: string; seq: number };
    expect(body.key).toBe(r.partitionKey);
    let last = byKey.get(r.partitionKey);
    if (!last) byKey.set(r.partitionKey, last = new Map());
    last.set(body.seq, position); // later copies overwrite earlier ones
  });
  const out = new Map<string, number[]>();
  for (const [key, last] of byKey) {
    out.set(key, [...last.entries()].sort((a, b) => a[1] - b[1]).map(([seq]) => seq));
  }
  return out;
}

function makeRecords(total: number, keys: number): KinesisRecord[] {
  return Array.from({ length: total }, (_, i) => {
    const key = `key-${i % keys}`;
    return {
      partitionKey: key,
      data: Buffer.from(JSON.stringify({ key, seq: Math.floor(i / keys), pad: 'x'.repeat(200) })),
    };
  });
}

describe('Kinesis sink on kinesalite', () => {
  let kinesalite: KinesisServer;

  beforeAll(async () => {
    kinesalite = await startKinesalite();
  }, 60_000);

  afterAll(async () => {
    await kinesalite?.stop();
  });

  it('delivers 20,000 records over 50 keys through 30% entry failures: nothing lost, last copies in order', async () => {
    const stream = 'sink-faulty';
    await createStream(kinesalite.endpoint, stream, 4);
    const proxy = await startFaultyKinesisProxy(kinesalite.endpoint, { failRatio: 0.3, failCallRatio: 0.02, seed: 20240501 });
    const client = createKinesisClient({ endpoint: proxy.endpoint, region: REGION });
    const puts = leanPutRecords(client);
    try {
      // A short back-off base keeps the test quick; the retry logic is the same.
      const sink = createKinesisSink({ client: puts, streamName: stream, baseDelayMs: 10 });
      const records = makeRecords(20_000, 50);
      const writes: Promise<void>[] = [];
      for (let i = 0; i < records.length; i += 1000) writes.push(sink.write(records.slice(i, i + 1000)));
      await Promise.all(writes);
      await sink.close();

      const stats = sink.stats();
      expect(stats.recordsAcknowledged).toBe(20_000);
      expect(puts.leanCalls).toBeGreaterThanOrEqual(stats.putRecordsCalls - 4); // only the first call of each of the 4 lanes went through the SDK
      expect(stats.buffered).toBe(0);
      // every injected entry failure was seen through FailedRecordCount/ErrorCode and retried
      expect(proxy.stats.injectedEntryFailures).toBeGreaterThan(1000);
      expect(stats.failedEntries).toBe(proxy.stats.injectedEntryFailures);

      const stored = await readAllRecords(kinesalite.endpoint, stream);
      // at-least-once: what was sent minus what failed (entries, and calls failed as a whole after the
      // SDK's own retries) is what the stream holds
      expect(stored.length).toBe(stats.recordsSent - stats.failedEntries - stats.failedCallRecords);
      const seqs = lastCopySeqsByKey(stored);
      expect(seqs.size).toBe(50);
      const expected = Array.from({ length: 400 }, (_, i) => i);
      for (const [key, order] of seqs) {
        expect(order, key).toEqual(expected);
      }
    } finally {
      puts.destroy();
      client.destroy();
      await proxy.stop();
    }
  }, 300_000);

  it('delivers exactly once, in order, when nothing fails', async () => {
    const stream = 'sink-clean';
    await createStream(kinesalite.endpoint, stream, 2);
    const client = createKinesisClient({ endpoint: kinesalite.endpoint, region: REGION });
    const puts = leanPutRecords(client);
    try {
      const sink = createKinesisSink({ client: puts, streamName: stream });
      const records = makeRecords(5_000, 7);
      await sink.write(records);
      const stored = await readAllRecords(kinesalite.endpoint, stream);
      expect(stored).toHaveLength(5_000);
      for (let k = 0; k < 7; k++) {
        const key = `key-${k}`;
        const got = stored.filter((r) => r.partitionKey === key).map((r) => r.data);
        const want = records.filter((r) => r.partitionKey === key).map((r) => r.data.toString());
        expect(got, key).toEqual(want);
      }
    } finally {
      puts.destroy();
      client.destroy();
    }
  }, 120_000);

  it('fails fast with a clear error when the stream does not exist', async () => {
    const client: KinesisClient = createKinesisClient({ endpoint: kinesalite.endpoint, region: REGION });
    const puts = leanPutRecords(client);
    try {
      const sink = createKinesisSink({ client: puts, streamName: 'no-such-stream' });
      let caught: unknown;
      try {
        await sink.write([{ partitionKey: 'k', data: Buffer.from('x') }]);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(StreamNotFoundError);
      expect((caught as Error).message).toContain("Kinesis stream 'no-such-stream' was not found");
      expect(sink.stats().putRecordsCalls).toBe(1); // not retried
      await expect(sink.flush()).rejects.toBe(caught);
    } finally {
      puts.destroy();
      client.destroy();
    }
  }, 60_000);
  it('fails with StreamNotFoundError when the stream goes away under a running sink (signed calls past the first)', async () => {
    const stream = 'sink-deleted';
    await createStream(kinesalite.endpoint, stream, 1);
    const client = createKinesisClient({ endpoint: kinesalite.endpoint, region: REGION });
    const puts = leanPutRecords(client);
    try {
      const sink = createKinesisSink({ client: puts, streamName: stream });
      for (let i = 0; i < 3; i++) await sink.write(makeRecords(10, 2));
      expect(puts.leanCalls).toBeGreaterThanOrEqual(2);
      expect(await readAllRecords(kinesalite.endpoint, stream)).toHaveLength(30);
      await client.send(new DeleteStreamCommand({ StreamName: stream }));
      const gone = Date.now() + 30_000;
      let caught: unknown;
      while (!caught && Date.now() < gone) {
        try {
          await sink.write(makeRecords(1, 1));
        } catch (e) {
          caught = e;
        }
      }
      expect(caught).toBeInstanceOf(StreamNotFoundError);
      expect((caught as Error).message).toContain(`Kinesis stream '${stream}' was not found`);
    } finally {
      puts.destroy();
      client.destroy();
    }
  }, 60_000);
});

describe('Kinesis sink on kinesis-mock', () => {
  let mock: KinesisServer;

  beforeAll(async () => {
    mock = await startKinesisMock();
  }, 120_000);

  afterAll(async () => {
    await mock?.stop();
  });

  it('delivers a few CDC-style records in order per key', async () => {
    const stream = 'sink-mock';
    await createStream(mock.endpoint, stream, 2);
    const client = createKinesisClient({ endpoint: mock.endpoint, region: REGION });
    const puts = leanPutRecords(client);
    try {
      const sink = createKinesisSink({ client: puts, streamName: stream });
      const records = makeRecords(40, 4);
      // one record per write, as CDC does for single-row transactions
      await Promise.all(records.slice(0, 20).map((r) => sink.write([r])));
      await sink.write(records.slice(20));
      await sink.close();
      const stored = await readAllRecords(mock.endpoint, stream);
      expect(stored).toHaveLength(40);
      for (let k = 0; k < 4; k++) {
        const key = `key-${k}`;
        const got = stored.filter((r) => r.partitionKey === key).map((r) => r.data);
        expect(got, key).toEqual(records.filter((r) => r.partitionKey === key).map((r) => r.data.toString()));
      }
    } finally {
      puts.destroy();
      client.destroy();
    }
  }, 180_000);
});
