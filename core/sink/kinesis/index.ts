export {
  createKinesisSink,
  partitionKeyHash,
  recordSize,
  PUT_RECORDS_MAX_RECORDS,
  PUT_RECORDS_MAX_BYTES,
  RECORD_MAX_BYTES,
  PARTITION_KEY_MAX_CHARS,
  type KinesisRecord,
  type RecordSink,
  type KinesisSink,
  type KinesisSinkOptions,
  type KinesisSinkStats,
} from './sink.js';
export { leanPutRecords, type PutRecordsClient, type LeanPutRecordsClient } from './put-records.js';
export {
  createKinesisClient,
  parseStreamArn,
  streamNameFromArn,
  type KinesisClientOptions,
  type StreamArn,
} from './client.js';
export {
  KinesisSinkError,
  StreamNotFoundError,
  PutRecordsFailedError,
  SinkClosedError,
  RecordTooLargeError,
  InvalidPartitionKeyError,
  type RejectedRecord,
} from './errors.js';
export {
  parallelLoadSinkOptions,
  PARALLEL_LOAD_MAX_THREADS,
  type ParallelLoadSettings,
  type TableSinkOptions,
} from './parallel-load.js';
