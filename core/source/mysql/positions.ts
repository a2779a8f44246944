// MySQL / MariaDB binlog positions: the one native position type of this source, its serialised
// form (`mysql-bin.000003:1234`, what SourcePosition holds) and AWS's CdcStartPosition / checkpoint
// strings (reference §12).
import { InvalidParameterValueException } from '../../model/errors.js';
import { parseUtcTime } from '../../model/positions.js';
import { mysqlTransactionIdText } from '../../record/formatter.js';
import type { SourcePosition, SourcePositions } from '../contract.js';

export interface BinlogPosition {
  file: string;
  position: number;
}

/** Numeric sequence of a binlog file name (`mysql-bin.002171` -> 2171). */
export function binlogFileNumber(file: string): number {
  const m = /\.(\d+)$/.exec(file);
  return m ? Number(m[1]) : 0;
}

/** Parses `mysql-bin-changelog.000024:373` (AWS's native CdcStartPosition form). */
export function parseBinlogPosition(text: string): BinlogPosition | null {
  const m = /^\s*([^:\s]+\.\d+):(\d+)\s*$/.exec(text);
  return m ? { file: m[1]!, position: Number(m[2]) } : null;
}

export function formatBinlogPosition(p: BinlogPosition): SourcePosition {
  return `${p.file}:${p.position}`;
}

/** Binlog order: file number first (beyond the zero padding), then offset. */
export function compareBinlogPositions(a: BinlogPosition, b: BinlogPosition): number {
  const fa = binlogFileNumber(a.file);
  const fb = binlogFileNumber(b.file);
  return fa !== fb ? fa - fb : a.position - b.position;
}

/** The serialised position back to file and offset (throws on a string that is not one). */
export function toBinlogPosition(p: SourcePosition): BinlogPosition {
  const at = p.lastIndexOf(':');
  const position = Number(p.slice(at + 1));
  if (at <= 0 || !/^\d+$/.test(p.slice(at + 1))) throw new Error(`not a binlog position: ${p}`);
  return { file: p.slice(0, at), position };
}

export const mysqlPositions: SourcePositions = {
  // On the CDC path for every commit (the ledger) and every rows event of a snapshotted table:
  // no regex and no allocation beyond the slices when both positions are in the same file.
  compare(a, b) {
    if (a === b) return 0;
    const ia = a.lastIndexOf(':');
    const ib = b.lastIndexOf(':');
    if (ia <= 0 || ia === a.length - 1) throw new Error(`not a binlog position: ${a}`);
    if (ib <= 0 || ib === b.length - 1) throw new Error(`not a binlog position: ${b}`);
    const fa = a.slice(0, ia);
    const fb = b.slice(0, ib);
    if (fa !== fb) {
      const d = binlogFileNumber(fa) - binlogFileNumber(fb);
      if (d !== 0) return d;
    }
    const pa = Number(a.slice(ia + 1));
    const pb = Number(b.slice(ib + 1));
    if (!Number.isFinite(pa) || !Number.isFinite(pb)) throw new Error(`not a binlog position: ${Number.isFinite(pa) ? b : a}`);
    return pa - pb;
  },

  parseStart(text) {
    const t = text.trim();
    if (t.startsWith('checkpoint:')) {
      const parts = t.slice('checkpoint:'.length).split('#');
      const pos = parts[2]?.split(':');
      if (parts[0] === 'V1' && pos && pos.length >= 2 && /^\d+$/.test(pos[1]!)) {
        return { kind: 'position', position: `${pos[0]}:${Number(pos[1])}` };
      }
      throw new InvalidParameterValueException(`Invalid checkpoint in CdcStartPosition: ${text}`);
    }
    const time = parseUtcTime(t);
    if (time !== null) return { kind: 'time', epochSeconds: time };
    const m = /^([^:\s]+):(\d+)$/.exec(t);
    if (m) return { kind: 'position', position: `${m[1]}:${Number(m[2])}` };
    throw new InvalidParameterValueException(
      `Invalid CdcStartPosition '${text}': expected a binlog position (mysql-bin-changelog.000024:373), a checkpoint, or a time (2018-03-08T12:12:12)`,
    );
  },

  /** AWS's shape, e.g. `checkpoint:V1#27#mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876#0#0#*#0#93`. */
  formatCheckpoint(position, seq, transactionId) {
    const p = toBinlogPosition(position);
    const id = transactionId ?? mysqlTransactionIdText(p.file, p.position);
    return `checkpoint:V1#${seq}#${p.file}:${p.position}:-1:${p.position}:${id}:${p.file}:${p.position}#0#0#*#0#0`;
  },
};
