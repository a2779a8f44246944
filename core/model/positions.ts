import { InvalidParameterValueException } from './errors.js';

// Engine-neutral CDC options (reference §12): times and CdcStopPosition. Native start positions and
// checkpoint strings belong to each source (core/source/*/positions.ts, `SourcePositions`).

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
