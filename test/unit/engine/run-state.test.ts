import { describe, expect, it } from 'vitest';
import { newTableStats } from '../../../core/model/task.js';
import { RunState } from '../../../core/engine/run-state.js';

const T0 = 1_700_000_000;

function stateWith(tables: Record<string, string>): RunState {
  const s = new RunState({}, [], T0);
  for (const [name, tableState] of Object.entries(tables)) s.update('db', name, T0, (t) => { t.TableState = tableState; });
  return s;
}

describe('RunState.taskStats', () => {
  it('counts tables per state', () => {
    const s = stateWith({ a: 'Table completed', b: 'Table completed', c: 'Full load', d: 'Table is being reloaded', e: 'Before load', f: 'Table error', g: 'Table cancelled' });
    s.setFullLoadTables(7);
    expect(s.taskStats({}, T0 + 2.5)).toEqual({
      FullLoadProgressPercent: 42, // floor(100 * (2 completed + 1 errored) / 7)
      ElapsedTimeMillis: 2500,
      TablesLoaded: 2,
      TablesLoading: 2,
      TablesQueued: 1,
      TablesErrored: 1,
    });
  });

  it('is 100 % once the full load finished, and carries its dates', () => {
    const s = stateWith({ a: 'Table completed', b: 'Full load' });
    s.setFullLoadTables(2);
    expect(s.taskStats({}, T0).FullLoadProgressPercent).toBe(50);
    s.fullLoadStartDate = T0 + 1;
    expect(s.taskStats({}, T0 + 1)).toMatchObject({ FullLoadProgressPercent: 50, FullLoadStartDate: T0 + 1 });
    expect(s.taskStats({}, T0 + 1)).not.toHaveProperty('FullLoadFinishDate');
    s.fullLoadFinishDate = T0 + 3;
    expect(s.taskStats({}, T0 + 4)).toMatchObject({ FullLoadProgressPercent: 100, FullLoadStartDate: T0 + 1, FullLoadFinishDate: T0 + 3, ElapsedTimeMillis: 4000 });
  });

  it('without a known table count, uses the tables it has seen; no tables is 0 %', () => {
    expect(new RunState({}, [], T0).taskStats({}, T0)).toMatchObject({ FullLoadProgressPercent: 0, TablesLoaded: 0, TablesLoading: 0, TablesQueued: 0, TablesErrored: 0 });
    const s = stateWith({ a: 'Table completed', b: 'Table completed', c: 'Before load', d: 'Before load' });
    expect(s.taskStats({}, T0).FullLoadProgressPercent).toBe(50);
  });

  it('keeps the other members of the stored stats, overrides the computed ones', () => {
    const s = stateWith({ a: 'Table completed' });
    const base = { FreshStartDate: T0 - 10, StartDate: T0 - 5, TablesLoaded: 99, FullLoadProgressPercent: 7, ElapsedTimeMillis: 1 };
    expect(s.taskStats(base, T0 + 1)).toEqual({
      FreshStartDate: T0 - 10,
      StartDate: T0 - 5,
      FullLoadProgressPercent: 100,
      ElapsedTimeMillis: 1000,
      TablesLoaded: 1,
      TablesLoading: 0,
      TablesQueued: 0,
      TablesErrored: 0,
    });
  });

  it('resumed runs count the statistics they were given', () => {
    const done = { ...newTableStats('db', 'a', T0), TableState: 'Table completed' };
    const queued = newTableStats('db', 'b', T0);
    const s = new RunState({ completedTables: ['db\u0000a'] }, [done, queued], T0);
    expect(s.taskStats({}, T0)).toMatchObject({ TablesLoaded: 1, TablesQueued: 1, FullLoadProgressPercent: 50 });
    // Existing statistics are not dirty; a new table is.
    expect(s.takeDirty()).toEqual([]);
    s.update('db', 'c', T0, () => undefined);
    expect(s.takeDirty().map((t) => t.TableName)).toEqual(['c']);
    expect(s.takeDirty()).toEqual([]);
  });

  it('never reports a negative elapsed time or more than 100 %', () => {
    const s = stateWith({ a: 'Table completed', b: 'Table completed' });
    s.setFullLoadTables(1);
    expect(s.taskStats({}, T0 - 5)).toMatchObject({ ElapsedTimeMillis: 0, FullLoadProgressPercent: 100 });
  });
});

describe('RunState FullLoadProgressPercent from row estimates', () => {
  it('counts rows against the estimates once the load started and every table has one', () => {
    const s = new RunState({}, [], T0);
    s.update('db', 'a', T0, (t) => Object.assign(t, { TableState: 'Table completed', FullLoadRows: 100, _estimatedRows: 100 }));
    s.update('db', 'b', T0, (t) => Object.assign(t, { TableState: 'Full load', FullLoadRows: 250, _estimatedRows: 900 }));
    s.setFullLoadTables(2);
    // Before the load started: tables done (1 of 2).
    expect(s.taskStats({}, T0).FullLoadProgressPercent).toBe(50);
    s.fullLoadStartDate = T0;
    expect(s.taskStats({}, T0).FullLoadProgressPercent).toBe(35); // (100 + 250) / (100 + 900)
    s.update('db', 'b', T0, (t) => Object.assign(t, { _estimatedRows: null }));
    expect(s.taskStats({}, T0).FullLoadProgressPercent).toBe(50);
    s.update('db', 'b', T0, (t) => Object.assign(t, { _estimatedRows: 900 }));
    s.fullLoadFinishDate = T0 + 1;
    expect(s.taskStats({}, T0 + 1).FullLoadProgressPercent).toBe(100);
  });
});
