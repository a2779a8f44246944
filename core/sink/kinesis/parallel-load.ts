// TargetMetadata.ParallelLoad* for a Kinesis target: the sink one table's full load writes through.
//
// AWS DMS User Guide, "Using Amazon Kinesis Data Streams as a target", Multithreaded full load task
// settings: ParallelLoadThreads = threads that load each table (max 32 for Kinesis);
// ParallelLoadBufferSize = records stored in the buffer the threads use (default 50, max 1,000);
// ParallelLoadQueuesPerThread = queues each thread takes records out of to build a batch (default 1;
// 5–512 for Kinesis). Here a thread is a sink lane (one PutRecords in flight, keys hashed to lanes,
// so per-key order holds); a lane's batch is what its queues hold: min(500, buffer × queues) records.
import type { KinesisSinkOptions } from './sink.js';
import { PUT_RECORDS_MAX_RECORDS } from './sink.js';

export const PARALLEL_LOAD_MAX_THREADS = 32;
export const PARALLEL_LOAD_DEFAULT_BUFFER = 50;
export const PARALLEL_LOAD_MAX_BUFFER = 1000;
export const PARALLEL_LOAD_MAX_QUEUES = 512;

export interface ParallelLoadSettings {
  parallelLoadThreads: number;
  parallelLoadBufferSize: number;
  parallelLoadQueuesPerThread: number;
}

export type TableSinkOptions = Required<Pick<KinesisSinkOptions, 'maxInFlight' | 'maxBatchRecords' | 'maxBufferedRecords'>>;

/** Options of a table's own sink, or null when ParallelLoadThreads is 0 (the task's shared sink, as before). */
export function parallelLoadSinkOptions(s: ParallelLoadSettings): TableSinkOptions | null {
  if (!(s.parallelLoadThreads > 0)) return null;
  const threads = Math.min(PARALLEL_LOAD_MAX_THREADS, Math.floor(s.parallelLoadThreads));
  const buffer = Math.min(PARALLEL_LOAD_MAX_BUFFER, s.parallelLoadBufferSize > 0 ? Math.floor(s.parallelLoadBufferSize) : PARALLEL_LOAD_DEFAULT_BUFFER);
  const queues = Math.min(PARALLEL_LOAD_MAX_QUEUES, s.parallelLoadQueuesPerThread > 0 ? Math.floor(s.parallelLoadQueuesPerThread) : 1);
  const perThread = buffer * queues;
  const batch = Math.min(PUT_RECORDS_MAX_RECORDS, perThread);
  // Each lane holds what its queues hold, and at least one batch forming behind the one in flight.
  return { maxInFlight: threads, maxBatchRecords: batch, maxBufferedRecords: threads * Math.max(perThread, 2 * batch) };
}
