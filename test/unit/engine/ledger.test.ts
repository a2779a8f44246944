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

describe('CheckpointLedger, gathering one turn of the event loop into one sink call', () => {
  function gathered(seq = 0) {
    const sink = new FakeSink();
    const checkpoints: Checkpoint[] = [];
    const applied: AppliedCounts[] = [];
    const ledger = new CheckpointLedger({ sink, positions: fakePositions, seq, gather: true, onCheckpoint: (c) => checkpoints.push(c), onApplied: (a) => applied.push(a) });
    /** Ends the current turn: the batch goes to the sink. */
    const turn = () => new Promise((r) => setImmediate(r));
    return { sink, ledger, checkpoints, applied, turn, at: () => checkpoints.map((c) => c.position) };
  }
  /** Three single-row transactions, as the change-event handler writes them. */
  function transactions(ledger: CheckpointLedger, from: number, to: number) {
    for (let i = from; i <= to; i++) {
      ledger.begin(`1.${i}00`);
      void ledger.write([rec(`r${i}`)]);
      void ledger.commit(`1.${i}50`, String(i), counts('s\u0000t', 1));
    }
  }

  it('sends the turn as one call; its last commit becomes the checkpoint once the call is acknowledged', async () => {
    const { sink, ledger, at, applied, turn } = gathered();
    transactions(ledger, 1, 3);
    expect(sink.writes).toHaveLength(0); // nothing sent before the turn ends
    expect(ledger.unacked).toBe(3);
    await turn();
    expect(sink.writes.map((w) => w.records.map((r) => r.data.toString()))).toEqual([['r1', 'r2', 'r3']]);
    expect(at()).toEqual([]);
    await sink.ack(0);
    expect(at()).toEqual(['1.350']);
    expect(ledger.checkpoint).toEqual({ position: '1.350', seq: 1, recovery: 'cp:1.350#1#3' });
    // The counts of the three transactions, once, when acknowledged.
    expect(applied).toEqual([counts('s\u0000t', 3)]);
    expect(ledger.unacked).toBe(0);
  });

  it("a later batch's acknowledgement waits for the earlier batch: the checkpoint moves in order", async () => {
    const { sink, ledger, at, turn } = gathered();
    transactions(ledger, 1, 2);
    await turn();
    transactions(ledger, 3, 4);
    ledger.begin('1.500');
    void ledger.write([rec('r5')]); // its commit comes in a later turn
    await turn();
    expect(sink.writes).toHaveLength(2);
    await sink.ack(1);
    expect(at()).toEqual([]);
    await sink.ack(0);
    // Both batches are in: the last commit of the second; the open transaction is no checkpoint.
    expect(at()).toEqual(['1.250', '1.450']);
    // Its commit alone: no sink call; everything before it is acknowledged.
    void ledger.commit('1.550', '5');
    await turn();
    expect(sink.writes).toHaveLength(2);
    expect(at()).toEqual(['1.250', '1.450', '1.550']);
  });

  it('a failed batch stops the checkpoint before it for good (the run replays from there)', async () => {
    const { sink, ledger, at, turn } = gathered();
    transactions(ledger, 1, 1);
    await turn();
    transactions(ledger, 2, 3);
    await turn();
    transactions(ledger, 4, 4);
    await turn();
    await sink.ack(0);
    expect(at()).toEqual(['1.150']);
    await sink.ack(2);
    sink.writes[1]!.fail(new Error('throttled for good'));
    await flush();
    expect(at()).toEqual(['1.150']);
    expect((ledger.failure as Error).message).toBe('throttled for good');
    await ledger.settle();
    expect(ledger.checkpoint!.position).toBe('1.150');
    await ledger.waitBelow(0); // does not hang on a failed ledger
  });

  it('DDL control records awaited by the handler are acknowledged before rows written after them are sent', async () => {
    const { sink, ledger, at, turn } = gathered();
    transactions(ledger, 1, 1);
    let ddlDone = false;
    const ddl = ledger.boundary('1.180', [rec('create-table')], counts('s\u0000t', 0)).then(() => (ddlDone = true));
    await turn();
    expect(sink.texts()).toEqual(['r1', 'create-table']);
    expect(ddlDone).toBe(false);
    await sink.ack(0);
    await ddl;
    expect(at()).toEqual(['1.180']);
    transactions(ledger, 2, 2);
    await turn();
    expect(sink.writes).toHaveLength(2);
    expect(sink.writes[1]!.records.map((r) => r.data.toString())).toEqual(['r2']);
  });

  it('a turn with only commits (filtered or rolled-back transactions) checkpoints without a sink call', async () => {
    const { sink, ledger, at, turn } = gathered();
    ledger.begin('1.100');
    void ledger.commit('1.150', '1');
    await ledger.boundary('1.160');
    expect(sink.writes).toHaveLength(0);
    await turn();
    expect(at()).toEqual(['1.160']);
  });

  it('waitBelow counts the records of the open batch and returns once they are acknowledged', async () => {
    const { sink, ledger } = gathered();
    void ledger.write([rec('a'), rec('b')]);
    let done = false;
    const waiting = ledger.waitBelow(1).then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    expect(sink.writes).toHaveLength(1);
    await sink.ack(0);
    await waiting;
    expect(ledger.unacked).toBe(0);
  });
});
