import { describe, expect, it } from 'vitest';
import { CheckpointLedger, type AppliedCounts, type Checkpoint } from '../../../core/engine/ledger.js';
import { RecordTooLargeError } from '../../../core/sink/kinesis/errors.js';
import { FakeSink, fakePositions, flush, rec } from './fakes.js';

function setup(seq = 0) {
  const sink = new FakeSink();
  const checkpoints: Checkpoint[] = [];
  const applied: AppliedCounts[] = [];
  const refused: Error[] = [];
  const ledger = new CheckpointLedger({
    sink,
    positions: fakePositions,
    seq,
    onCheckpoint: (c) => checkpoints.push(c),
    onApplied: (a) => applied.push(a),
    onRefused: (e) => refused.push(e),
  });
  const at = () => checkpoints.map((c) => c.position);
  return { sink, ledger, checkpoints, applied, refused, at };
}

const counts = (key: string, inserts: number): AppliedCounts => new Map([[key, { inserts, updates: 0, deletes: 0, ddls: 0 }]]);

describe('CheckpointLedger', () => {
  it('moves the checkpoint to a commit only once every record before it is acknowledged', async () => {
    const { sink, ledger, at, applied } = setup();
    ledger.begin('1.100');
    void ledger.write([rec('a')]);
    void ledger.write([rec('b')]);
    void ledger.commit('1.200', '42', counts('s\u0000t', 2));
    expect(ledger.unacked).toBe(2);
    await sink.ack(1);
    expect(at()).toEqual([]);
    expect(applied).toEqual([]);
    await sink.ack(0);
    expect(at()).toEqual(['1.200']);
    expect(applied).toEqual([counts('s\u0000t', 2)]);
    expect(ledger.unacked).toBe(0);
    expect(ledger.checkpoint).toEqual({ position: '1.200', seq: 1, recovery: 'cp:1.200#1#42' });
  });

  it('partial and out-of-order acknowledgements: each commit as soon as everything before it is in', async () => {
    const { sink, ledger, at } = setup();
    for (const [i, p] of [[1, '1.200'], [2, '1.300'], [3, '1.400']] as const) {
      ledger.begin(`1.${i}00`);
      void ledger.write([rec(`r${i}`)]);
      void ledger.commit(p, String(i));
    }
    await sink.ack(2);
    expect(at()).toEqual([]);
    await sink.ack(0);
    expect(at()).toEqual(['1.200']);
    await sink.ack(1);
    expect(at()).toEqual(['1.200', '1.300', '1.400']);
    expect(ledger.checkpoint!.seq).toBe(3);
  });

  it('a rolled-back or filtered transaction (no records) moves the checkpoint past it at once', async () => {
    const { ledger, at } = setup();
    ledger.begin('1.100');
    await ledger.commit('1.150', '7');
    expect(at()).toEqual(['1.150']);
  });

  it('a failed write rolls back to the checkpoint before it: later acknowledgements never move it', async () => {
    const { sink, ledger, at } = setup();
    await ledger.boundary('1.50');
    ledger.begin('1.100');
    void ledger.write([rec('lost')]);
    void ledger.commit('1.200', '1');
    ledger.begin('1.200');
    void ledger.write([rec('later')]);
    void ledger.commit('1.300', '2');
    await sink.ack(1);
    sink.writes[0]!.fail(new Error('throttled for good'));
    await flush();
    expect(at()).toEqual(['1.50']);
    expect((ledger.failure as Error).message).toBe('throttled for good');
    await ledger.waitBelow(0); // does not hang on a failed ledger
  });

  it('records the target refuses for good are reported and count as delivered', async () => {
    const { sink, ledger, at, refused } = setup();
    ledger.begin('1.100');
    void ledger.write([rec('huge')]);
    void ledger.commit('1.200', '1');
    sink.writes[0]!.fail(new RecordTooLargeError([{ partitionKey: 'k', size: 2e6, index: 0 }], 1048576));
    await flush();
    expect(refused).toHaveLength(1);
    expect(ledger.failure).toBeUndefined();
    expect(at()).toEqual(['1.200']);
  });

  it('a transaction spanning a rotation: progress inside it is no checkpoint; its commit in the next file is', async () => {
    const { sink, ledger, at } = setup();
    ledger.begin('1.900');
    void ledger.write([rec('a')]);
    void ledger.boundary('2.4'); // rotation/heartbeat while the transaction is open
    void ledger.write([rec('b')]);
    await sink.ack(0, 1);
    expect(at()).toEqual([]);
    void ledger.commit('2.300', '9');
    await flush();
    expect(at()).toEqual(['2.300']);
    void ledger.boundary('2.400'); // outside a transaction: a checkpoint
    await flush();
    expect(at()).toEqual(['2.300', '2.400']);
  });

  it('DDL control records go out before the boundary after them; the checkpoint never moves back', async () => {
    const { sink, ledger, at } = setup();
    const ddl = ledger.boundary('1.500', [rec('create-table')], counts('s\u0000t', 0));
    expect(sink.texts()).toEqual(['create-table']);
    await sink.ack(0);
    await ddl;
    expect(at()).toEqual(['1.500']);
    void ledger.boundary('1.400');
    await flush();
    expect(ledger.checkpoint!.position).toBe('1.500');
  });

  it('restart from a checkpoint taken while a later transaction was in flight: the sequence goes on', async () => {
    const first = setup();
    first.ledger.begin('1.100');
    void first.ledger.write([rec('a')]);
    void first.ledger.commit('1.200', '1');
    first.ledger.begin('1.200');
    void first.ledger.write([rec('b1')]);
    await first.sink.ack(0, 1); // half of the second transaction is in, its commit never came
    expect(first.at()).toEqual(['1.200']);
    // The run dies; the next one resumes from the checkpoint with its sequence.
    const next = setup(first.ledger.checkpoint!.seq);
    next.ledger.begin('1.200');
    void next.ledger.write([rec('b1'), rec('b2')]);
    void next.ledger.commit('1.300', '2');
    await next.sink.ackAll();
    expect(next.checkpoints).toEqual([{ position: '1.300', seq: 2, recovery: 'cp:1.300#2#2' }]);
  });

  it('waitBelow holds the reader until enough is acknowledged', async () => {
    const { sink, ledger } = setup();
    void ledger.write([rec('a'), rec('b')]);
    void ledger.write([rec('c')]);
    let done = false;
    const waiting = ledger.waitBelow(1).then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    await sink.ack(0);
    await waiting;
    expect(ledger.unacked).toBe(1);
  });
});
