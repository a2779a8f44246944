// PostgreSQL positions: LSNs. The serialised SourcePosition is AWS's form, both halves zero-padded
// upper-case hex (`0000003B/E8003618`, as in awsdms_status.source_current_position and
// RecoveryCheckpoint); PostgreSQL's own `3B/E8003618` is accepted wherever a user gives one.
import { InvalidParameterValueException } from '../../model/errors.js';
import { parseUtcTime } from '../../model/positions.js';
import type { SourcePosition, SourcePositions } from '../contract.js';

const LSN_RE = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** LSN text (either form) → 64-bit value; null when the text is not an LSN. */
export function parseLsn(text: string): bigint | null {
  const m = LSN_RE.exec(text.trim());
  if (!m) return null;
  return (BigInt('0x' + m[1]) << 32n) | BigInt('0x' + m[2]);
}

export function lsnValue(p: SourcePosition): bigint {
  const v = parseLsn(p);
  if (v === null) throw new Error(`not an LSN: ${p}`);
  return v;
}

/** AWS's form: `%08X/%08X`. */
export function formatLsn(v: bigint): SourcePosition {
  // One conversion of the whole value (no bigint shifts): the low 8 digits are the low half.
  const s = v.toString(16).toUpperCase().padStart(16, '0');
  return s.slice(0, s.length - 8) + '/' + s.slice(s.length - 8);
}

/** PostgreSQL's form (`3B/E8003618`), for replication commands and pg_lsn casts. */
export function pgLsnText(v: bigint): string {
  return `${Number(v >> 32n).toString(16).toUpperCase()}/${Number(v & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Any LSN text → AWS's form. */
export function normaliseLsn(text: string): SourcePosition {
  return formatLsn(lsnValue(text));
}

/** AWS's `stream-position` of a PostgreSQL change: `<commit LSN>.<ordinal>.<change LSN>` (reference §4). */
export function pgStreamPosition(commitLsn: bigint, ordinal: number, changeLsn: bigint): string {
  return `${formatLsn(commitLsn)}.${ordinal}.${formatLsn(changeLsn)}`;
}

export const postgresPositions: SourcePositions = {
  compare(a, b) {
    if (a === b) return 0;
    const x = lsnValue(a);
    const y = lsnValue(b);
    return x < y ? -1 : x > y ? 1 : 0;
  },

  parseStart(text) {
    const t = text.trim();
    if (t.startsWith('checkpoint:')) {
      // checkpoint:V1#<seq>#<LSN>#0#0#*#0#<n> (AWS CDC doc examples)
      const parts = t.slice('checkpoint:'.length).split('#');
      const v = parts[0] === 'V1' && parts[2] ? parseLsn(parts[2]) : null;
      if (v === null) throw new InvalidParameterValueException(`Invalid checkpoint in CdcStartPosition: ${text}`);
      return { kind: 'position', position: formatLsn(v) };
    }
    const v = parseLsn(t);
    if (v !== null) return { kind: 'position', position: formatLsn(v) };
    const time = parseUtcTime(t);
    if (time !== null) return { kind: 'time', epochSeconds: time };
    throw new InvalidParameterValueException(
      `Invalid CdcStartPosition '${text}': expected a PostgreSQL LSN (4AF/B00000D0) or a checkpoint (checkpoint:V1#1#000004AF/B00000D0#0#0#*#0#0)`,
    );
  },

  formatCheckpoint(position, seq) {
    // The fields after the LSN are undocumented; AWS's first example has them all 0.
    return `checkpoint:V1#${seq}#${normaliseLsn(position)}#0#0#*#0#0`;
  },
};
