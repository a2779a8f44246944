import type { TableMappings } from '../mapping/types.js';
import type { TaskLog } from '../observe/task-log.js';
import type { SourceEndpointConnection } from '../model/endpoint-connection.js';
import type { StartType, TaskDoc } from '../model/task.js';
import type { KinesisSettings, RecordFormatter } from '../record/formatter.js';
import type { EffectiveSettings } from '../settings/index.js';
import type { KinesisSink, RecordSink } from '../sink/kinesis/sink.js';
import type { Source, SourceEngine } from '../source/contract.js';
import type { RunState } from './run-state.js';

// What a task run and its phases (full load, CDC) share. Its own module so that the phases and the
// run that sequences them do not import each other.

export interface TaskRunEnv {
  task: TaskDoc;
  /** The source endpoint's connection parameters (host and port name it in messages). */
  source: SourceEndpointConnection;
  /** Its engine family, from the source registry. */
  sourceEngine: SourceEngine;
  kinesis: KinesisSettings & { StreamArn: string };
  kinesisEndpoint?: string;
  /** Reads the source credentials again (a Secrets Manager secret is read at every connection). */
  refreshSource?: () => Promise<SourceEndpointConnection>;
  /** The task log (Logging.EnableLogging); never on the per-row path. */
  log?: TaskLog;
  now: () => number;
}

export type RunOutcome =
  | { status: 'stopped'; stopReason: string }
  | { status: 'failed'; message: string };

/** Everything a run phase (full load, CDC) works with. */
export interface RunContext {
  env: TaskRunEnv;
  state: RunState;
  settings: EffectiveSettings;
  mappings: TableMappings;
  formatter: RecordFormatter;
  sink: KinesisSink;
  /**
   * CDC apply: one ordered lane (AWS applies changes single-threaded unless
   * TargetMetadata.ParallelApplyThreads > 0, so commit order holds across keys); that many lanes otherwise.
   */
  changeSink: KinesisSink;
  /** The task's source, open for the whole run (opened again with fresh credentials on a reconnect). */
  source: Source;
  /** TargetMetadata.ParallelLoadThreads > 0: a new sink for one table's full load. */
  tableSink?: () => RecordSink;
  signal: AbortSignal;
  now: () => number;
  log: TaskLog;
}

/** A failure the task reports as LastFailureMessage (its message is the user's explanation). */
export class TaskFailure extends Error {}

/** Source.retainChanges, its failure (e.g. a SlotName that does not exist) failing the task. */
export async function retain(source: Source, readerId: string, startType: StartType | undefined): Promise<string> {
  try {
    // A taken-over run is a resume; anything else starts over (AWS: "On restart (not resume) … the
    // replication slot gets recreated", CHAP_Source.PostgreSQL).
    return await source.retainChanges!(readerId, { restart: startType !== 'resume-processing' });
  } catch (e) {
    throw new TaskFailure((e as Error).message);
  }
}
