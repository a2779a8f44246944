import type { MariaDb } from '../../support/mariadb.js';
import type { MySqlEndpointConfig } from '../../../core/source/mysql/connection.js';
import type { BinlogEvent } from '../../../core/source/mysql/binlog.js';

export function dmsConfig(db: MariaDb): MySqlEndpointConfig {
  return { host: db.host, port: db.port, user: db.dmsUser.user, password: db.dmsUser.password };
}

/** Collects binlog events; `until` resolves when the predicate holds over what was collected. */
export class EventLog {
  readonly events: BinlogEvent[] = [];
  errors: Error[] = [];
  private waiters: { pred: (evs: BinlogEvent[]) => boolean; resolve: () => void; reject: (e: Error) => void }[] = [];
  onEvent = (e: BinlogEvent): void => {
    this.events.push(e);
    this.check();
  };
  onError = (err: Error): void => {
    this.errors.push(err);
    for (const w of this.waiters.splice(0)) w.reject(err);
  };
  until(pred: (evs: BinlogEvent[]) => boolean): Promise<void> {
    if (pred(this.events)) return Promise.resolve();
    return new Promise((resolve, reject) => { this.waiters.push({ pred, resolve, reject }); });
  }
  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.pred(this.events)) { w.resolve(); return false; }
      return true;
    });
  }
  rows(): Extract<BinlogEvent, { kind: 'rows' }>[] {
    return this.events.filter((e): e is Extract<BinlogEvent, { kind: 'rows' }> => e.kind === 'rows');
  }
  commits(): number {
    return this.events.filter((e) => e.kind === 'commit').length;
  }
}
