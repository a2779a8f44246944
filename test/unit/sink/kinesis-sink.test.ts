import { afterEach, describe, expect, it, vi } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import type { PutRecordsCommandInput, PutRecordsCommandOutput, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import {
  createKinesisSink,
  InvalidPartitionKeyError,
  PutRecordsFailedError,
  PUT_RECORDS_MAX_BYTES,
  RECORD_MAX_BYTES,
  RecordTooLargeError,
  SinkClosedError,
  StreamNotFoundError,
  parseStreamArn,
  streamNameFromArn,
  type KinesisRecord,
  type KinesisSinkOptions,
} from '../../../core/sink/kinesis/index.js';

interface SentRecord { key: string; data: string; size: number }
type Responder = (call: SentRecord[], callIndex: number) => PutRecordsResultEntry[] | Promise<PutRecordsResultEntry[]>;

const ok = (): PutRecordsResultEntry => ({ SequenceNumber: '1', ShardId: 'shardId-000000000000' });
const throttled = (): PutRecordsResultEntry => ({
  ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded',
});

/** A fake KinesisClient: logs every PutRecords and answers with `respond`. */
function fakeClient(respond: Responder = (call) => call.map(ok)) {
  const calls: SentRecord[][] = [];
  /** What a stream would hold: accepted entries, in the order they were answered. */
  const stored: SentRecord[] = [];
  return {
    calls,
    stored,
    async putRecords(input: PutRecordsCommandInput): Promise<PutRecordsCommandOutput> {
            const call = input.Records!.map((r) => ({
        key: r.PartitionKey!,
        data: Buffer.from(r.Data!).toString('utf8'),
        size: r.Data!.length + Buffer.byteLength(r.PartitionKey!),
      }));
      calls.push(call);
      const records = await respond(call, calls.length - 1);
      records.forEach((r, i) => { if (!r.ErrorCode && call[i]) stored.push(call[i]!); });
      return {
        $metadata: { httpStatusCode: 200 },
        FailedRecordCount: records.filter((r) => r.ErrorCode).length,
        Records: records,
      };
    },
  };
}

function sinkWith(client: ReturnType<typeof fakeClient>, extra: Partial<KinesisSinkOptions> = {}) {
  return createKinesisSink({
    client, streamName: 'orders', maxInFlight: 1, sleep: async () => {}, random: () => 0.5, logger: { warn: () => {} }, ...extra,
  });
}

const rec = (key: string, data: string | Buffer): KinesisRecord => ({
  partitionKey: key, data: typeof data === 'string' ? Buffer.from(data) : data,
});

function awsError(name: string, status?: number, message = `${name} happened`): Error {
  const e = new Error(message) as Error & { $metadata?: { httpStatusCode?: number } };
  e.name = name;
  if (status !== undefined) e.$metadata = { httpStatusCode: status };
  return e;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('batching', () => {
  it('sends at most 500 records per PutRecords, in order', async () => {
    const client = fakeClient();
    const sink = sinkWith(client);
    const records = Array.from({ length: 1201 }, (_, i) => rec(`k${i % 7}`, `r${i}`));
    await sink.write(records);
    expect(client.calls.map((c) => c.length)).toEqual([500, 500, 201]);
    expect(client.calls.flat().map((r) => r.data)).toEqual(records.map((r) => r.data.toString()));
  });

  it('keeps each call within 5 MiB of data + partition keys', async () => {
    const client = fakeClient();
    const sink = sinkWith(client);
    const key = 'k';
    const full = Buffer.alloc(RECORD_MAX_BYTES - Buffer.byteLength(key), 'a'); // exactly 1 MiB with the key
    const records = Array.from({ length: 12 }, () => rec(key, full));
    await sink.write(records);
    expect(client.calls.map((c) => c.length)).toEqual([5, 5, 2]);
    for (const call of client.calls) {
      expect(call.reduce((n, r) => n + r.size, 0)).toBeLessThanOrEqual(PUT_RECORDS_MAX_BYTES);
    }
  });

  it('fills a call up to the byte limit with mixed sizes', async () => {
    const client = fakeClient();
    const sink = sinkWith(client);
    const big = Buffer.alloc(1_000_000, 'b');
    await sink.write([rec('a', big), rec('b', big), rec('c', big), rec('d', big), rec('e', big), rec('f', big), rec('g', 'small')]);
    // 5 × ~1 MB = 5,000,005 bytes fits, the 6th does not
    expect(client.calls.map((c) => c.length)).toEqual([5, 2]);
  });

  it('sends a lone record at once, without waiting for a timer', () => {
    const client = fakeClient();
    const sink = sinkWith(client);
    void sink.write([rec('k', 'x')]);
    expect(client.calls).toHaveLength(1);
  });

  it('batches what piles up while a call is in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const client = fakeClient(async (call, i) => {
      if (i === 0) await gate;
      return call.map(ok);
    });
    const sink = sinkWith(client);
    const first = sink.write([rec('k', '0')]);
    const later = Array.from({ length: 10 }, (_, i) => sink.write([rec('k', String(i + 1))]));
    expect(client.calls).toHaveLength(1);
    release();
    await Promise.all([first, ...later]);
    expect(client.calls.map((c) => c.length)).toEqual([1, 10]);
  });
});

describe('records refused up front', () => {
  it('rejects a record over 1 MiB with RecordTooLargeError and still delivers the others', async () => {
    const client = fakeClient();
    const sink = sinkWith(client);
    const tooBig = Buffer.alloc(RECORD_MAX_BYTES, 'x'); // + key bytes > 1 MiB
    const err = await rejection(sink.write([rec('a', 'one'), rec('big-key', tooBig), rec('b', 'two')]));
    expect(err).toBeInstanceOf(RecordTooLargeError);
    const e = err as RecordTooLargeError;
    expect(e.partitionKey).toBe('big-key');
    expect(e.size).toBe(RECORD_MAX_BYTES + 7);
    expect(e.records).toEqual([{ index: 1, partitionKey: 'big-key', size: RECORD_MAX_BYTES + 7 }]);
    expect(e.message).toContain('big-key');
    expect(client.calls.flat().map((r) => r.data)).toEqual(['one', 'two']);
    // the sink is still usable
    await sink.write([rec('c', 'three')]);
    await sink.flush();
  });

  it('accepts a record of exactly 1 MiB (data + key)', async () => {
    const client = fakeClient();
    const sink = sinkWith(client);
    await sink.write([rec('kk', Buffer.alloc(RECORD_MAX_BYTES - 2))]);
    expect(client.calls).toHaveLength(1);
  });

  it('rejects empty and over-256-character partition keys', async () => {
    const client = fakeClient();
    const sink = sinkWith(client);
    expect(await rejection(sink.write([rec('', 'x')]))).toBeInstanceOf(InvalidPartitionKeyError);
    expect(await rejection(sink.write([rec('k'.repeat(257), 'x')]))).toBeInstanceOf(InvalidPartitionKeyError);
    await sink.write([rec('k'.repeat(256), 'x'), rec('é'.repeat(256), 'y')]);
    expect(client.calls.flat()).toHaveLength(2);
  });
});

describe('retry selection and per-key order', () => {
  it('resends the failed entry and every later record of its key, nothing else', async () => {
    const client = fakeClient((call, i) => call.map((_, j) => (i === 0 && j === 2 ? throttled() : ok())));
    const sink = sinkWith(client);
    await sink.write([rec('a', 'a1'), rec('b', 'b1'), rec('a', 'a2'), rec('b', 'b2'), rec('a', 'a3'), rec('c', 'c1')]);
    expect(client.calls.map((c) => c.map((r) => r.data))).toEqual([
      ['a1', 'b1', 'a2', 'b2', 'a3', 'c1'],
      ['a2', 'a3'],
    ]);
    expect(sink.stats()).toMatchObject({ failedEntries: 1, orderResends: 1, recordsAcknowledged: 6, putRecordsCalls: 2 });
  });

  it('resends only the failed entry when it is the last of its key', async () => {
    const client = fakeClient((call, i) => call.map((r) => (i === 0 && r.data === 'b2' ? throttled() : ok())));
    const sink = sinkWith(client);
    await sink.write([rec('a', 'a1'), rec('b', 'b1'), rec('a', 'a2'), rec('b', 'b2'), rec('a', 'a3')]);
    expect(client.calls[1]!.map((r) => r.data)).toEqual(['b2']);
  });

  it('puts the resend set ahead of records queued meanwhile', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const client = fakeClient(async (call, i) => {
      if (i === 0) {
        await gate;
        return call.map((r) => (r.data === 'a1' ? throttled() : ok()));
      }
      return call.map(ok);
    });
    const sink = sinkWith(client);
    const w1 = sink.write([rec('a', 'a1'), rec('a', 'a2')]);
    const w2 = sink.write([rec('a', 'a3')]);
    release();
    await Promise.all([w1, w2]);
    // a1 failed first: its key's window is 1 for the next call, then doubles
    expect(client.calls.map((c) => c.map((r) => r.data))).toEqual([['a1', 'a2'], ['a1'], ['a2', 'a3']]);
  });

  it('limits a failing key per call (window) and still delivers everything in order', async () => {
    const client = fakeClient((call, i) => call.map((_, j) => (i === 0 && j === 10 ? throttled() : ok())));
    const sink = sinkWith(client);
    const records = Array.from({ length: 100 }, (_, i) => rec('hot', `h${i}`));
    records.push(rec('cold', 'c0'));
    await sink.write(records);
    expect(client.calls[0]).toHaveLength(101);
    const second = client.calls[1]!;
    expect(second.filter((r) => r.key === 'hot').length).toBeLessThanOrEqual(50);
    expect(second[0]!.data).toBe('h10');
    const lastCopies = lastCopyOrder(client.stored, (r) => r.key === 'hot');
    expect(lastCopies).toEqual(records.slice(0, 100).map((r) => r.data.toString()));
  });

  it('random failures over many keys and lanes: nothing lost, last copies in order, no key in two calls at once', async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const inFlightKeys = new Set<string>();
    let overlap = 0;
    const client = fakeClient(async (call) => {
      const keys = new Set(call.map((r) => r.key));
      for (const k of keys) if (inFlightKeys.has(k)) overlap++;
      for (const k of keys) inFlightKeys.add(k);
      await new Promise((r) => setTimeout(r, Math.floor(random() * 3)));
      for (const k of keys) inFlightKeys.delete(k);
      return call.map(() => (random() < 0.4 ? throttled() : ok()));
    });
    const sink = createKinesisSink({ client, streamName: 's', maxInFlight: 4, sleep: async () => {}, random, logger: { warn: () => {} } });
    const records: KinesisRecord[] = [];
    for (let i = 0; i < 3000; i++) records.push(rec(`key-${i % 13}`, `${i % 13}:${Math.floor(i / 13)}`));
    const writes = [];
    for (let i = 0; i < records.length; i += 250) writes.push(sink.write(records.slice(i, i + 250)));
    await Promise.all(writes);
    await sink.flush();

    expect(overlap).toBe(0);
    expect(client.calls.length).toBeGreaterThan(records.length / 500);
    for (let k = 0; k < 13; k++) {
      const expected = records.filter((r) => r.partitionKey === `key-${k}`).map((r) => r.data.toString());
      expect(lastCopyOrder(client.stored, (r) => r.key === `key-${k}`)).toEqual(expected);
    }
    const s = sink.stats();
    expect(s.recordsAcknowledged).toBe(3000);
    expect(s.failedEntries).toBeGreaterThan(0);
    expect(s.buffered).toBe(0);
  });
});

/** The records of a stored stream ordered by the position of their LAST copy. */
function lastCopyOrder(stored: SentRecord[], pick: (r: SentRecord) => boolean): string[] {
  const stream = stored.filter(pick).map((r) => r.data);
  const last = new Map<string, number>();
  stream.forEach((d, i) => last.set(d, i));
  return [...last.entries()].sort((a, b) => a[1] - b[1]).map(([d]) => d);
}

describe('whole-call failures', () => {
  it('retries throttling with growing jittered back-off', async () => {
    const sleeps: number[] = [];
    const client = fakeClient((call, i) => {
      if (i < 3) throw awsError('ProvisionedThroughputExceededException', 400);
      return call.map(ok);
    });
    const sink = sinkWith(client, {
      random: () => 0.999, baseDelayMs: 100, maxDelayMs: 350, sleep: async (ms) => { sleeps.push(ms); },
    });
    await sink.write([rec('a', '1'), rec('b', '2')]);
    expect(client.calls).toHaveLength(4);
    expect(client.calls[3]!.map((r) => r.data)).toEqual(['1', '2']);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[0]).toBeGreaterThan(150); // random × min(cap, 100·2^1)
    expect(sleeps[0]).toBeLessThanOrEqual(200);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]!);
    expect(sleeps[2]).toBeLessThanOrEqual(350); // capped
    expect(sink.stats().failedCalls).toBe(3);
  });

  it('uses full jitter (the delay can be anywhere from 0)', async () => {
    const sleeps: number[] = [];
    const client = fakeClient((call, i) => {
      if (i === 0) throw awsError('InternalFailure', 500);
      return call.map(ok);
    });
    const sink = sinkWith(client, { random: () => 0, sleep: async (ms) => { sleeps.push(ms); } });
    await sink.write([rec('a', '1')]);
    expect(sleeps.every((s) => s === 0)).toBe(true);
  });

  it('retries network errors and 5xx', async () => {
    const net = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const client = fakeClient((call, i) => {
      if (i === 0) throw net;
      if (i === 1) throw awsError('ServiceUnavailable', 503);
      return call.map(ok);
    });
    const sink = sinkWith(client);
    await sink.write([rec('a', '1')]);
    expect(client.calls).toHaveLength(3);
  });

  it('fails fast on ResourceNotFoundException, naming the stream', async () => {
    const client = fakeClient(() => {
      throw awsError('ResourceNotFoundException', 400, 'Stream orders under account 000000000000 not found.');
    });
    const sink = sinkWith(client);
    const err = await rejection(sink.write([rec('a', '1'), rec('b', '2')]));
    expect(err).toBeInstanceOf(StreamNotFoundError);
    expect(err.message).toContain("'orders'");
    expect(err.message).toContain('ResourceNotFoundException');
    expect(client.calls).toHaveLength(1);
    expect(await rejection(sink.write([rec('c', '3')]))).toBe(err);
    expect(await rejection(sink.flush())).toBe(err);
  });

  it('fails fast on a non-retryable error', async () => {
    const client = fakeClient(() => { throw awsError('ValidationException', 400, 'bad request'); });
    const sink = sinkWith(client);
    const err = await rejection(sink.write([rec('a', '1')]));
    expect(err).toBeInstanceOf(PutRecordsFailedError);
    expect(err.message).toContain('ValidationException: bad request');
    expect(client.calls).toHaveLength(1);
  });

  it('retries an answer with the wrong number of results', async () => {
    const client = fakeClient((call, i) => (i === 0 ? [] : call.map(ok)));
    const sink = sinkWith(client);
    await sink.write([rec('a', '1')]);
    expect(client.calls).toHaveLength(2);
  });
});

describe('retry logging', () => {
  afterEach(() => { vi.restoreAllMocks(); });

  /** A real Powertools logger; its JSON lines (warnings go to stderr) as objects. */
  function capturedLogger() {
    const lines: Record<string, unknown>[] = [];
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.includes('"service":"sink-test"')) {
        for (const l of text.split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        return true;
      }
      return write(chunk, ...(rest as []));
    });
    return { logger: new Logger({ serviceName: 'sink-test' }), lines };
  }

  it('logs a whole-call failure with its reason under a key Powertools keeps', async () => {
    const { logger, lines } = capturedLogger();
    const client = fakeClient((call, i) => {
      if (i === 0) throw awsError('ProvisionedThroughputExceededException', 400, 'Rate exceeded for stream orders');
      return call.map(ok);
    });
    await sinkWith(client, { logger }).write([rec('a', '1'), rec('b', '2')]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      message: 'Kinesis PutRecords failed; retrying',
      stream: 'orders',
      reason: 'ProvisionedThroughputExceededException: Rate exceeded for stream orders',
      failedCalls: 1,
      failedRecords: 2,
    });
  });

  it('logs partial failures with the entry error, once per interval however many records fail', async () => {
    const { logger, lines } = capturedLogger();
    let t = 0;
    // Every call refuses all of its entries but the first, 6 times in a row; 1 s passes per call.
    const client = fakeClient((call, i) => {
      t += 1000;
      return call.map((_, j) => (i < 6 && j > 0 ? throttled() : ok()));
    });
    const records = Array.from({ length: 300 }, (_, i) => rec(`k${i}`, String(i)));
    await sinkWith(client, { logger, now: () => t, retryLogIntervalMs: 2500 }).write(records);
    expect(client.calls).toHaveLength(7);
    // Retries after calls 1..6 at t = 1, 2, ..., 6 s: lines at 1 s, 4 s (the others within 2.5 s of a line).
    expect(lines.map((l) => l.message)).toEqual(['Kinesis PutRecords refused records; retrying them', 'Kinesis PutRecords refused records; retrying them']);
    expect(lines[0]).toMatchObject({ reason: 'ProvisionedThroughputExceededException: Rate exceeded (and 298 more)', callsWithFailedRecords: 1, failedRecords: 299 });
    // The second line counts the retries since the first: calls 2, 3 and 4.
    expect(lines[1]).toMatchObject({ callsWithFailedRecords: 3, failedRecords: 298 + 297 + 296 });
  });
});

describe('retry deadline', () => {
  it('gives up after retryDeadlineMs and rejects every pending write', async () => {
    let clock = 1_000_000;
    const client = fakeClient((call) => call.map((r) => (r.key === 'stuck' ? throttled() : ok())));
    const sink = sinkWith(client, {
      retryDeadlineMs: 10_000,
      now: () => clock,
      sleep: async (ms) => { clock += Math.max(ms, 1); },
    });
    const start = clock;
    const w1 = sink.write([rec('fine', '1'), rec('stuck', '2')]);
    const err = await rejection(w1);
    expect(err).toBeInstanceOf(PutRecordsFailedError);
    expect(err.message).toContain('gave up after 10000 ms');
    expect(err.message).toContain("'stuck'");
    expect(err.message).toContain('ProvisionedThroughputExceededException');
    expect((err as PutRecordsFailedError).partitionKey).toBe('stuck');
    expect(clock - start).toBeGreaterThanOrEqual(10_000);
    expect(clock - start).toBeLessThan(20_000);
    expect(await rejection(sink.write([rec('fine', '3')]))).toBe(err);
  });

  it('gives up on a stream that keeps failing whole calls', async () => {
    let clock = 0;
    const client = fakeClient(() => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }); });
    const sink = sinkWith(client, { retryDeadlineMs: 2_000, now: () => clock, sleep: async (ms) => { clock += Math.max(ms, 1); } });
    const err = await rejection(sink.write([rec('a', '1')]));
    expect(err).toBeInstanceOf(PutRecordsFailedError);
    expect(err.message).toContain('ECONNREFUSED');
    expect(client.calls.length).toBeGreaterThan(1);
  });
});

describe('back-pressure, flush and close', () => {
  it('holds a write back while too much is buffered, keeping write order', async () => {
    const releases: Array<() => void> = [];
    const client = fakeClient(async (call) => {
      await new Promise<void>((r) => releases.push(r));
      return call.map(ok);
    });
    const sink = sinkWith(client, { maxBufferedRecords: 10 });
    const w1 = sink.write(Array.from({ length: 10 }, (_, i) => rec('k', `a${i}`)));
    const w2 = sink.write([rec('k', 'b0')]);
    const w3 = sink.write([rec('k', 'c0')]);
    await Promise.resolve();
    expect(client.calls).toHaveLength(1);
    expect(sink.stats().buffered).toBe(10); // w2 and w3 wait outside the buffer
    releases.shift()!();
    await w1;
    await vi_waitFor(() => client.calls.length === 2);
    expect(client.calls[1]!.map((r) => r.data)).toEqual(['b0', 'c0']);
    releases.shift()!();
    await Promise.all([w2, w3]);
  });

  it('flush waits for everything queued; close refuses later writes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const client = fakeClient(async (call) => { await gate; return call.map(ok); });
    const sink = sinkWith(client);
    void sink.write([rec('a', '1')]);
    void sink.write([rec('b', '2')]);
    let flushed = false;
    const f = sink.flush().then(() => { flushed = true; });
    await Promise.resolve();
    expect(flushed).toBe(false);
    release();
    await f;
    expect(sink.stats().recordsAcknowledged).toBe(2);
    await sink.close();
    expect(await rejection(sink.write([rec('c', '3')]))).toBeInstanceOf(SinkClosedError);
  });

  it('an empty write resolves at once', async () => {
    const client = fakeClient();
    await sinkWith(client).write([]);
    expect(client.calls).toHaveLength(0);
  });
});

async function vi_waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(cond()).toBe(true);
}

describe('stream ARNs', () => {
  it('extracts the stream name', () => {
    expect(streamNameFromArn('arn:aws:kinesis:us-east-1:000000000000:stream/dms-out')).toBe('dms-out');
    expect(parseStreamArn('arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a.b_c-d')).toEqual({
      partition: 'aws-cn', region: 'cn-north-1', accountId: '123456789012', streamName: 'a.b_c-d',
    });
  });

  it('refuses other ARNs', () => {
    expect(parseStreamArn('arn:aws:kinesis:us-east-1:000000000000:stream/')).toBeNull();
    expect(parseStreamArn('arn:aws:sqs:us-east-1:000000000000:queue')).toBeNull();
    expect(() => streamNameFromArn('dms-out')).toThrow(/Invalid Kinesis stream ARN/);
  });
});
