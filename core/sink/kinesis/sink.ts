// The Kinesis sink: ordered, batched, retried delivery of records to one stream.
//
// Records are spread over `maxInFlight` lanes by a hash of their partition key. Each
// lane sends one PutRecords at a time (≤ 500 records, ≤ 5 MiB), so records of one key
// stay in one lane and a later batch can never overtake an earlier one. A lane sends as
// soon as it is idle and has records: a lone CDC record goes out at once, and under
// load records pile up behind the call in flight and form full batches.
//
// Retries: only the failed entries are resent, plus — to keep per-key order — every
// later record of the same key from that batch, even if Kinesis accepted it
// (at-least-once; the last copy of each record is in order). The resend set goes first
// in the lane's next call, after an exponential back-off with full jitter (the exponent
// counts calls in a row that got nothing acknowledged). A key whose entries fail gets a
// congestion window (records of it per call: what the stream accepted last time + 1,
// doubled after a clean call); it bounds the duplicates the order rule creates while
// the key is throttled, the rest of a long resend set following in the next calls. Whole-call
// failures (throttling, 5xx, network) are retried the same way. A record still not
// acknowledged `retryDeadlineMs` after its first failure fails the sink; so does
// ResourceNotFoundException (the stream is missing), at once. A failed sink rejects
// every pending and later write().
//
// Retries are logged with their reason (Powertools' `reason` key; `message` is reserved), at most
// once per `retryLogIntervalMs`, the line counting the retries since the previous one.

import type { PutRecordsCommandOutput, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import {
  InvalidPartitionKeyError,
  KinesisSinkError,
  PutRecordsFailedError,
  RecordTooLargeError,
  SinkClosedError,
  StreamNotFoundError,
  type RejectedRecord,
} from './errors.js';
import { Fifo } from '../../fifo.js';
import type { PutRecordsClient } from './put-records.js';
import { logger as defaultLogger } from '../../logger.js';

/** The sink's input: one Kinesis record. */
export interface KinesisRecord {
  partitionKey: string;
  data: Buffer;
}

export interface RecordSink {
  /** Queues records in order; resolves once every record of this call is acknowledged. Applies back-pressure (awaits) when too much is buffered. */
  write(records: KinesisRecord[]): Promise<void>;
  /** Resolves when everything queued so far is acknowledged. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface KinesisSinkStats {
  /** PutRecords calls made (including failed ones). */
  putRecordsCalls: number;
  /** PutRecords calls that failed as a whole and were retried. */
  failedCalls: number;
  /** Record entries of the calls that failed as a whole (sent, but not written by Kinesis). */
  failedCallRecords: number;
  /** Record entries sent, resends included. */
  recordsSent: number;
  /** Records acknowledged (each counted once). */
  recordsAcknowledged: number;
  /** Entries reported failed by PutRecords (sum of FailedRecordCount). */
  failedEntries: number;
  /** Entries resent only to keep their key's order although Kinesis had accepted them. */
  orderResends: number;
  /** Records queued or in flight, not yet acknowledged. */
  buffered: number;
}

export interface KinesisSink extends RecordSink {
  readonly streamName: string;
  /** Partition-key lanes, one PutRecords call in flight each (maxInFlight). */
  readonly lanes: number;
  stats(): KinesisSinkStats;
}


export interface KinesisSinkOptions {
  /** leanPutRecords(kinesisClient) in the engine; a fake in tests. */
  client: PutRecordsClient;
  streamName: string;
  /** PutRecords calls in flight at once = number of partition-key lanes (default 4). */
  maxInFlight?: number;
  /** How long a record may keep failing before the sink gives up (default 120 s). */
  retryDeadlineMs?: number;
  /** Back-off base (default 50 ms): retry n waits random(0, min(maxDelayMs, base·2^(n-1))). */
  baseDelayMs?: number;
  /** Back-off cap (default 5 s). */
  maxDelayMs?: number;
  /** Records per PutRecords call, at most 500 (default 500). */
  maxBatchRecords?: number;
  /** write() waits while this many records are queued or in flight (default maxInFlight × 2000). */
  maxBufferedRecords?: number;
  /** write() waits while this many bytes are queued or in flight (default 64 MiB). */
  maxBufferedBytes?: number;
  /** Where retries are logged (default: the process's Powertools logger). */
  logger?: Pick<typeof defaultLogger, 'warn'>;
  /** At most one retry line per this many ms (default 10 s); the first retry is logged at once. */
  retryLogIntervalMs?: number;
  /** Test hooks. */
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const PUT_RECORDS_MAX_RECORDS = 500;
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
export const RECORD_MAX_BYTES = 1024 * 1024;
export const PARTITION_KEY_MAX_CHARS = 256;

const DEFAULT_MAX_IN_FLIGHT = 4;
const DEFAULT_RETRY_DEADLINE_MS = 120_000;
const DEFAULT_BASE_DELAY_MS = 50;
const DEFAULT_MAX_DELAY_MS = 5_000;
const DEFAULT_RETRY_LOG_INTERVAL_MS = 10_000;

/** Per-entry error codes that retrying cannot fix. */
const FATAL_ENTRY_CODES = new Set([
  'KMSDisabledException', 'KMSInvalidStateException', 'KMSAccessDeniedException',
  'KMSNotFoundException', 'KMSOptInRequired', 'AccessDeniedException',
]);
/** Whole-call errors that are worth retrying. */
const RETRYABLE_ERRORS = new Set([
  'ProvisionedThroughputExceededException', 'LimitExceededException', 'ThrottlingException',
  'Throttling', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'KMSThrottlingException', 'InternalFailure', 'InternalFailureException', 'InternalServerError',
  'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException',
  'TimeoutError', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND',
  'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET',
]);
const PROGRAMMING_ERRORS = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError']);

interface WriteState {
  pending: number;
  settled: boolean;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Entry {
  partitionKey: string;
  data: Buffer;
  size: number;
  write: WriteState;
  /** Times Kinesis reported this record failed (entry error or whole-call error). */
  failures: number;
  /** now() of the first failure; 0 = never failed. */
  firstFailureAt: number;
  lastError: string;
}

/** FIFO with O(1) shift. */
interface Lane {
  /** Records to resend and records parked by a window; they precede the queue. */
  front: Entry[];
  queue: Fifo<Entry>;
  busy: boolean;
  /** Consecutive calls that got no record acknowledged: the back-off exponent. */
  stalls: number;
  /**
   * Per-key congestion windows: at most this many records of the key per call. Set when
   * entries of the key fail (halved), doubled after a clean call, dropped at 500. Bounds
   * the duplicates the order rule creates while a key is being throttled.
   */
  windows: Map<string, number>;
}

/** FNV-1a over UTF-16 code units. */
export function partitionKeyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Bytes a record counts for against the PutRecords limits: data + partition key (UTF-8). */
export function recordSize(record: KinesisRecord): number {
  return record.data.length + Buffer.byteLength(record.partitionKey, 'utf8');
}

function validPartitionKey(key: string): boolean {
  if (typeof key !== 'string' || key.length === 0) return false;
  if (key.length <= PARTITION_KEY_MAX_CHARS) return true;
  return [...key].length <= PARTITION_KEY_MAX_CHARS; // counted in Unicode characters
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const name = err.name && err.name !== 'Error' ? err.name : typeof code === 'string' ? code : 'Error';
    return err.message ? `${name}: ${err.message}` : name;
  }
  return String(err);
}

type Verdict = 'not-found' | 'retryable' | 'fatal';

function classify(err: unknown): Verdict {
  const e = (err ?? {}) as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  if (name === 'ResourceNotFoundException' || code === 'ResourceNotFoundException') return 'not-found';
  if (RETRYABLE_ERRORS.has(name) || RETRYABLE_ERRORS.has(code)) return 'retryable';
  if (e.$retryable) return 'retryable';
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) return PROGRAMMING_ERRORS.has(name) ? 'fatal' : 'retryable'; // no response: network
  if (status >= 500 || status === 429) return 'retryable';
  return 'fatal';
}

export function createKinesisSink(options: KinesisSinkOptions): KinesisSink {
  const { client, streamName } = options;
  const laneCount = Math.max(1, Math.floor(options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT));
  const retryDeadlineMs = options.retryDeadlineMs ?? DEFAULT_RETRY_DEADLINE_MS;
  const baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const maxBatchRecords = Math.max(1, Math.min(PUT_RECORDS_MAX_RECORDS, Math.floor(options.maxBatchRecords ?? PUT_RECORDS_MAX_RECORDS)));
  const maxBufferedRecords = options.maxBufferedRecords ?? laneCount * 2000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.logger ?? defaultLogger;
  const retryLogIntervalMs = options.retryLogIntervalMs ?? DEFAULT_RETRY_LOG_INTERVAL_MS;
  /** Retries not yet logged (rate limit): calls retried as a whole, calls with failed entries, entries. */
  const unlogged = { failedCalls: 0, partialCalls: 0, failedEntries: 0 };
  let lastRetryLogAt = -Infinity;

  const lanes: Lane[] = Array.from({ length: laneCount }, () => ({
    front: [], queue: new Fifo<Entry>(), busy: false, stalls: 0, windows: new Map(),
  }));
  const active = new Set<WriteState>();
  const waiters: Entry[][] = [];
  let buffered = 0;
  let bufferedBytes = 0;
  let failure: KinesisSinkError | null = null;
  let closed = false;
  const stats = { putRecordsCalls: 0, failedCalls: 0, failedCallRecords: 0, recordsSent: 0, recordsAcknowledged: 0, failedEntries: 0, orderResends: 0 };

  function settle(ws: WriteState, err?: Error): void {
    if (ws.settled) return;
    ws.settled = true;
    active.delete(ws);
    if (err) ws.reject(err);
    else ws.resolve();
  }

  function ack(e: Entry): void {
    stats.recordsAcknowledged++;
    buffered--;
    bufferedBytes -= e.size;
    if (--e.write.pending === 0) settle(e.write);
  }

  function fail(err: KinesisSinkError): void {
    if (failure) return;
    failure = err;
    for (const lane of lanes) {
      lane.front = [];
      lane.queue.clear();
    }
    waiters.length = 0;
    buffered = 0;
    bufferedBytes = 0;
    for (const ws of [...active]) settle(ws, err);
  }

  /** One line per interval at most, never per record: the latest reason and the counts since the last line. */
  function retryLogged(kind: 'call' | 'entries', reason: string, entries: number, delayMs: number): void {
    if (kind === 'call') unlogged.failedCalls++;
    else unlogged.partialCalls++;
    unlogged.failedEntries += entries;
    const t = now();
    if (t - lastRetryLogAt < retryLogIntervalMs) return;
    lastRetryLogAt = t;
    log.warn(kind === 'call' ? 'Kinesis PutRecords failed; retrying' : 'Kinesis PutRecords refused records; retrying them', {
      stream: streamName,
      reason,
      failedCalls: unlogged.failedCalls,
      callsWithFailedRecords: unlogged.partialCalls,
      failedRecords: unlogged.failedEntries,
      retryInMs: Math.round(delayMs),
    });
    unlogged.failedCalls = 0;
    unlogged.partialCalls = 0;
    unlogged.failedEntries = 0;
  }

  function backoff(attempt: number): number {
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
    return random() * ceiling;
  }

  /** Throws when a failed record ran out of time; else the time left for the oldest. */
  function timeLeft(entries: Entry[], t: number): number {
    let oldest: Entry | null = null;
    for (const e of entries) if (e.firstFailureAt && (!oldest || e.firstFailureAt < oldest.firstFailureAt)) oldest = e;
    if (!oldest) return retryDeadlineMs;
    const left = retryDeadlineMs - (t - oldest.firstFailureAt);
    if (left <= 0) {
      throw new PutRecordsFailedError(streamName,
        `Kinesis PutRecords to stream '${streamName}' gave up after ${retryDeadlineMs} ms of retries: the record for `
        + `partition key '${oldest.partitionKey}' failed ${oldest.failures} time(s); last error: ${oldest.lastError}`,
        oldest.partitionKey);
    }
    return left;
  }

  /**
   * The lane's next call, in order: the front list (records to resend, records parked
   * earlier), then queued records; up to 500 records / 5 MiB. A record over its key's
   * window is parked (kept, in order, for a later call) and the scan goes on, so a
   * throttled key does not hold back the others; per-key order holds because once a
   * key is parked every later record of it is parked too.
   */
  function takeBatch(lane: Lane): Entry[] {
    const batch: Entry[] = [];
    const windows = lane.windows;
    const counts = windows.size > 0 ? new Map<string, number>() : null;
    let parked: Entry[] | null = null;
    let bytes = 0;
    const place = (e: Entry): 'take' | 'park' | 'stop' => {
      if (batch.length >= maxBatchRecords || bytes + e.size > PUT_RECORDS_MAX_BYTES) return 'stop';
      if (counts) {
        const w = windows.get(e.partitionKey);
        if (w !== undefined) {
          const c = counts.get(e.partitionKey) ?? 0;
          if (c >= w) {
            if ((parked ??= []).length >= PUT_RECORDS_MAX_RECORDS) return 'stop'; // bound the scan
            parked.push(e);
            return 'park';
          }
          counts.set(e.partitionKey, c + 1);
        }
      }
      batch.push(e);
      bytes += e.size;
      return 'take';
    };
    const front = lane.front;
    let i = 0;
    while (i < front.length && place(front[i]!) !== 'stop') i++;
    if (i === front.length) {
      for (let next = lane.queue.peek(); next && place(next) !== 'stop'; next = lane.queue.peek()) lane.queue.shift();
    }
    const rest = i < front.length ? front.slice(i) : [];
    const p = parked as Entry[] | null;
    lane.front = p ? (rest.length > 0 ? p.concat(rest) : p) : rest;
    return batch;
  }

  /**
   * After a call: a key with a failed entry gets a window of (records of it accepted
   * before its first failure) + 1 — what the stream took this time, plus one; a key with
   * a window and no failure doubles it, and loses it at 500.
   */
  function updateWindows(lane: Lane, batch: Entry[], results: PutRecordsResultEntry[], failedKeys: Set<string> | null): void {
    const windows = lane.windows;
    if (!failedKeys && windows.size === 0) return;
    const seen = new Map<string, { accepted: number; failed: boolean }>();
    for (let i = 0; i < batch.length; i++) {
      const key = batch[i]!.partitionKey;
      let st = seen.get(key);
      if (!st) seen.set(key, st = { accepted: 0, failed: false });
      if (st.failed) continue;
      if (results[i]!.ErrorCode) st.failed = true;
      else st.accepted++;
    }
    for (const [key, st] of seen) {
      if (st.failed) {
        windows.set(key, st.accepted + 1);
      } else {
        const w = windows.get(key);
        if (w === undefined) continue;
        if (w * 2 >= PUT_RECORDS_MAX_RECORDS) windows.delete(key);
        else windows.set(key, w * 2);
      }
    }
    if (windows.size > 10_000) windows.clear(); // keys seen once (e.g. primary keys) would pile up
  }

  /** One PutRecords; returns the back-off to wait before the lane's next call (0: none). */
  async function sendBatch(lane: Lane, batch: Entry[]): Promise<number> {
    stats.putRecordsCalls++;
    stats.recordsSent += batch.length;
    let out: PutRecordsCommandOutput;
    try {
      out = await client.putRecords({
        StreamName: streamName,
        Records: batch.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey })),
      });
    } catch (err) {
      return callFailed(lane, batch, err);
    }
    const results = out.Records ?? [];
    if (results.length !== batch.length) {
      return callFailed(lane, batch, new Error(`PutRecords answered ${results.length} results for ${batch.length} records`));
    }
    const t = now();
    let resend: Entry[] | null = null;
    let resendKeys: Set<string> | null = null;
    let acked = 0;
    let failed = 0;
    let firstError = '';
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      const errorCode = results[i]!.ErrorCode;
      if (errorCode) {
        stats.failedEntries++;
        e.failures++;
        if (!e.firstFailureAt) e.firstFailureAt = t;
        e.lastError = `${errorCode}: ${results[i]!.ErrorMessage ?? ''}`;
        if (failed++ === 0) firstError = e.lastError;
        if (FATAL_ENTRY_CODES.has(errorCode)) {
          throw new PutRecordsFailedError(streamName,
            `Kinesis PutRecords to stream '${streamName}' refused the record for partition key '${e.partitionKey}': ${e.lastError}`,
            e.partitionKey);
        }
        (resend ??= []).push(e);
        (resendKeys ??= new Set()).add(e.partitionKey);
      } else if (resendKeys?.has(e.partitionKey)) {
        stats.orderResends++;
        resend!.push(e); // accepted, but an earlier record of its key failed: resend to keep order
      } else {
        ack(e);
        acked++;
      }
    }
    drainWaiters();
    updateWindows(lane, batch, results, resendKeys);
    lane.stalls = acked > 0 ? 0 : lane.stalls + 1;
    if (!resend) return 0;
    const left = timeLeft(resend, t);
    // What is left in front (parked, or not reached) came after this batch.
    lane.front = lane.front.length > 0 ? resend.concat(lane.front) : resend;
    // Progress made: a short jittered pause; none: exponential back-off.
    const delay = Math.min(backoff(lane.stalls + 1), left);
    retryLogged('entries', failed > 1 ? `${firstError} (and ${failed - 1} more)` : firstError, failed, delay);
    return delay;
  }

  function callFailed(lane: Lane, batch: Entry[], err: unknown): number {
    const verdict = classify(err);
    if (verdict === 'not-found') throw new StreamNotFoundError(streamName, err);
    if (verdict === 'fatal') {
      throw new PutRecordsFailedError(streamName,
        `Kinesis PutRecords to stream '${streamName}' failed: ${describeError(err)}`, batch[0]?.partitionKey, err);
    }
    stats.failedCalls++;
    stats.failedCallRecords += batch.length;
    const t = now();
    const message = describeError(err);
    for (const e of batch) {
      e.failures++;
      if (!e.firstFailureAt) e.firstFailureAt = t;
      e.lastError = message;
    }
    lane.stalls++;
    const left = timeLeft(batch, t);
    lane.front = lane.front.length > 0 ? batch.concat(lane.front) : batch;
    const delay = Math.min(backoff(lane.stalls + 1), left);
    retryLogged('call', message, batch.length, delay);
    return delay;
  }

  async function runLane(lane: Lane): Promise<void> {
    lane.busy = true;
    try {
      while (!failure && (lane.front.length > 0 || lane.queue.size > 0)) {
        const wait = await sendBatch(lane, takeBatch(lane));
        if (wait > 0 && !failure) await sleep(wait);
      }
    } catch (err) {
      fail(err instanceof KinesisSinkError ? err
        : new KinesisSinkError(streamName, `Kinesis sink for stream '${streamName}' failed: ${describeError(err)}`, { cause: err }));
    } finally {
      lane.busy = false;
    }
  }

  function kick(lane: Lane): void {
    if (!lane.busy && !failure) void runLane(lane);
  }

  function enqueue(entries: Entry[]): void {
    const touched = new Set<Lane>();
    for (const e of entries) {
      buffered++;
      bufferedBytes += e.size;
      const lane = lanes[laneCount === 1 ? 0 : partitionKeyHash(e.partitionKey) % laneCount]!;
      lane.queue.push(e);
      touched.add(lane);
    }
    for (const lane of touched) kick(lane);
  }

  function hasRoom(): boolean {
    return buffered < maxBufferedRecords && bufferedBytes < maxBufferedBytes;
  }

  function drainWaiters(): void {
    while (waiters.length > 0 && hasRoom() && !failure) enqueue(waiters.shift()!);
  }

  function write(records: KinesisRecord[]): Promise<void> {
    if (failure) return Promise.reject(failure);
    if (closed) return Promise.reject(new SinkClosedError(streamName));

    const entries: Entry[] = [];
    let tooLarge: RejectedRecord[] | null = null;
    let badKey: RejectedRecord[] | null = null;
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const done = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    done.catch(() => {}); // failures are also reported by flush()/close()
    const ws: WriteState = { pending: 0, settled: false, done, resolve, reject };

    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (!validPartitionKey(r.partitionKey)) {
        (badKey ??= []).push({ index: i, partitionKey: String(r.partitionKey), size: r.data.length });
        continue;
      }
      const size = recordSize(r);
      if (size > RECORD_MAX_BYTES) {
        (tooLarge ??= []).push({ index: i, partitionKey: r.partitionKey, size });
        continue;
      }
      entries.push({ partitionKey: r.partitionKey, data: r.data, size, write: ws, failures: 0, firstFailureAt: 0, lastError: '' });
    }

    ws.pending = entries.length;
    if (entries.length === 0) {
      settle(ws);
    } else {
      active.add(ws);
      if (waiters.length === 0 && hasRoom()) enqueue(entries);
      else waiters.push(entries);
    }
    const refused = badKey ? new InvalidPartitionKeyError(badKey)
      : tooLarge ? new RecordTooLargeError(tooLarge, RECORD_MAX_BYTES) : null;
    return refused ? done.then(() => { throw refused; }) : done;
  }

  async function flush(): Promise<void> {
    if (failure) throw failure;
    await Promise.allSettled([...active].map((ws) => ws.done));
    if (failure) throw failure;
  }

  return {
    streamName,
    lanes: laneCount,
    write,
    flush,
    async close() {
      closed = true;
      await flush();
    },
    stats: () => ({ ...stats, buffered }),
  };
}
