import type { SourceRow, TableDef } from '../model/table.js';
import { isLobColumn } from '../record/dms-types.js';
import type { EffectiveSettings } from '../settings/index.js';
import type { Source } from '../source/contract.js';
import { TaskFailure } from './context.js';

// FailTasksOnLobTruncation (PostgreSQLSettings, default false): in limited LOB mode AWS truncates a LOB
// larger than LobMaxSize; with the setting "a task fails if the actual size of an LOB column is greater
// than the specified LobMaxSize" (API reference). dmslite never truncates (records carry LOBs whole, up to
// Kinesis's 1 MB record limit), so only the failure is emulated. The one check of LOB sizes, for
// full-load rows and changes alike.

/** Throws the task's failure when a LOB value of `row` is over the limit. */
export type LobCheck = (def: TableDef, row: SourceRow) => void;

/** The check the task needs, or null (setting off, or LOBs not in limited LOB mode). */
export function lobTruncationCheck(settings: EffectiveSettings, source: Source): LobCheck | null {
  const max = settings.limitedLobMaxBytes;
  if (!source.failTasksOnLobTruncation || max === null) return null;
  const lobs = new WeakMap<TableDef, string[]>();
  return (def, row) => {
    let cols = lobs.get(def);
    if (!cols) lobs.set(def, (cols = def.columns.filter(isLobColumn).map((c) => c.name)));
    for (const name of cols) {
      const v = row[name];
      if (v === null || v === undefined) continue;
      const size = Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? Buffer.byteLength(v) : 0;
      if (size > max) {
        throw new TaskFailure(
          `LOB column '${name}' of table '${def.schema}'.'${def.table}' is ${size} bytes, over LobMaxSize ${max / 1024} KB in limited LOB mode; ` +
            'the source endpoint sets FailTasksOnLobTruncation, so the task fails instead of truncating it',
        );
      }
    }
  };
}
