import { InvalidParameterValueException } from './errors.js';

// CDC positions for a MySQL source (reference §12): native `file:pos`, a time, or a
// checkpoint string in AWS's shape, which is also what RecoveryCheckpoint shows.

export interface BinlogPosition {
  file: string;
  position: number;
}

export type CdcStart =
  | { kind: 'binlog'; file: string; position: number }
  | { kind: 'time'; epochSeconds: number };

export interface CdcStop {
  kind: 'server_time' | 'commit_time';
  epochSeconds: number;
}

const TIME_RE = /^\d{4}-\d{2}-\d{2}(T| )\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/;

/** Times without a zone are UTC, as in AWS's examples. */
export function parseUtcTime(text: string): number | null {
  if (!TIME_RE.test(text)) return null;
  const iso = text.replace(' ', 'T');
  const ms = Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? null : ms / 1000;
}

export function parseCdcStartPosition(text: string): CdcStart {
  const t = text.trim();
  if (t.startsWith('checkpoint:')) {
    const parts = t.slice('checkpoint:'.length).split('#');
    const pos = parts[2]?.split(':');
    if (parts[0] === 'V1' && pos && pos.length >= 2 && /^\d+$/.test(pos[1])) {
      return { kind: 'binlog', file: pos[0], position: Number(pos[1]) };
    }
    throw new InvalidParameterValueException(`Invalid checkpoint in CdcStartPosition: ${text}`);
  }
  const time = parseUtcTime(t);
  if (time !== null) return { kind: 'time', epochSeconds: time };
  const m = /^([^:\s]+):(\d+)$/.exec(t);
  if (m) return { kind: 'binlog', file: m[1], position: Number(m[2]) };
  throw new InvalidParameterValueException(
    `Invalid CdcStartPosition '${text}': expected a binlog position (mysql-bin-changelog.000024:373), a checkpoint, or a time (2018-03-08T12:12:12)`,
  );
}

export function parseCdcStopPosition(text: string): CdcStop {
  const m = /^(server_time|commit_time):(.+)$/.exec(text.trim());
  const time = m ? parseUtcTime(m[2]) : null;
  if (!m || time === null) {
    throw new InvalidParameterValueException(
      `Invalid CdcStopPosition '${text}': expected server_time:YYYY-MM-DDTHH:MM:SS or commit_time:YYYY-MM-DDTHH:MM:SS`,
    );
  }
  return { kind: m[1] as CdcStop['kind'], epochSeconds: time };
}

/** AWS's checkpoint shape, e.g. `checkpoint:V1#27#mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876#0#0#*#0#93`. */
export function formatCheckpoint(pos: BinlogPosition, seq: number, transactionId: bigint): string {
  return `checkpoint:V1#${seq}#${pos.file}:${pos.position}:-1:${pos.position}:${transactionId}:${pos.file}:${pos.position}#0#0#*#0#0`;
}
