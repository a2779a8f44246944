import type { KinesisRecord } from '../../../core/sink/kinesis/sink.js';
import type { SourcePositions } from '../../../core/source/contract.js';

/** Positions of a synthetic source: `<file>.<offset>` compared numerically (file, then offset). */
export const fakePositions: SourcePositions = {
  compare(a, b) {
    const [fa, oa] = a.split('.').map(Number);
    const [fb, ob] = b.split('.').map(Number);
    return fa! !== fb! ? fa! - fb! : oa! - ob!;
  },
  parseStart: (text) => ({ kind: 'position', position: text.replace(/^cp:/, '').split('#')[0]! }),
  formatCheckpoint: (position, seq, transactionId) => `cp:${position}#${seq}#${transactionId ?? '-'}`,
};

/** A sink whose acknowledgements the test gives, one write at a time and in any order. */
export class FakeSink {
  readonly writes: { records: KinesisRecord[]; ack: () => void; fail: (e: Error) => void; settled: boolean }[] = [];
  /** Acknowledges every write at once instead of waiting for the test. */
  autoAck = false;

  write = (records: KinesisRecord[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const w = {
        records,
        settled: false,
        ack: () => { w.settled = true; resolve(); },
        fail: (e: Error) => { w.settled = true; reject(e); },
      };
      this.writes.push(w);
      if (this.autoAck) w.ack();
    });

  /** Acknowledges write `i` and lets the promise callbacks run. */
  async ack(...indexes: number[]): Promise<void> {
    for (const i of indexes) this.writes[i]!.ack();
    await flush();
  }

  async ackAll(): Promise<void> {
    for (const w of this.writes) if (!w.settled) w.ack();
    await flush();
  }

  texts(): string[] {
    return this.writes.flatMap((w) => w.records.map((r) => r.data.toString()));
  }
}

export function rec(text: string): KinesisRecord {
  return { partitionKey: 'k', data: Buffer.from(text) };
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
