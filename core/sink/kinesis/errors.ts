// Errors raised by the Kinesis sink. None of them is a DMS API fault: the engine
// turns them into a task failure (LastFailureMessage) or a logged record error.

/** Base class: something went wrong delivering to the stream. */
export class KinesisSinkError extends Error {
  readonly streamName: string;
  constructor(streamName: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KinesisSinkError';
    this.streamName = streamName;
  }
}

/** PutRecords answered ResourceNotFoundException: the stream does not exist (not retried). */
export class StreamNotFoundError extends KinesisSinkError {
  constructor(streamName: string, cause?: unknown) {
    const detail = cause instanceof Error && cause.message ? ` (${cause.message})` : '';
    super(streamName, `Kinesis stream '${streamName}' was not found: ResourceNotFoundException${detail}`, { cause });
    this.name = 'StreamNotFoundError';
  }
}

/** Records stayed unacknowledged past retryDeadlineMs, or the stream refused them for good. */
export class PutRecordsFailedError extends KinesisSinkError {
  readonly partitionKey: string | undefined;
  constructor(streamName: string, message: string, partitionKey?: string, cause?: unknown) {
    super(streamName, message, { cause });
    this.name = 'PutRecordsFailedError';
    this.partitionKey = partitionKey;
  }
}

/** write() after close(). */
export class SinkClosedError extends KinesisSinkError {
  constructor(streamName: string) {
    super(streamName, `Kinesis sink for stream '${streamName}' is closed`);
    this.name = 'SinkClosedError';
  }
}

export interface RejectedRecord {
  /** Position of the record in the write() call. */
  index: number;
  partitionKey: string;
  /** Data bytes + partition key bytes (UTF-8). */
  size: number;
}

/**
 * A record was refused before sending: over the 1 MiB PutRecords limit (data + key).
 * The other records of the same write() are still delivered; write() rejects with this
 * error once they are acknowledged.
 */
export class RecordTooLargeError extends Error {
  readonly partitionKey: string;
  readonly size: number;
  readonly limit: number;
  /** Every record of the write() refused for this reason (the first one is described above). */
  readonly records: RejectedRecord[];
  constructor(records: RejectedRecord[], limit: number) {
    const first = records[0]!;
    const more = records.length > 1 ? ` (and ${records.length - 1} more record(s))` : '';
    super(`Kinesis record for partition key '${first.partitionKey}' is ${first.size} bytes, over the ${limit}-byte limit${more}`);
    this.name = 'RecordTooLargeError';
    this.partitionKey = first.partitionKey;
    this.size = first.size;
    this.limit = limit;
    this.records = records;
  }
}

/** A partition key Kinesis would refuse (empty or over 256 characters), refused before sending. */
export class InvalidPartitionKeyError extends Error {
  readonly partitionKey: string;
  readonly records: RejectedRecord[];
  constructor(records: RejectedRecord[]) {
    const first = records[0]!;
    super(`Invalid Kinesis partition key '${first.partitionKey.slice(0, 300)}' (${first.partitionKey.length} characters; `
      + 'it must have 1 to 256 characters)');
    this.name = 'InvalidPartitionKeyError';
    this.partitionKey = first.partitionKey;
    this.records = records;
  }
}
