import { describe, expect, it } from 'vitest';
import {
  BufferedTaskLog,
  formatLogLine,
  logFilter,
  taskLogGroup,
  taskLogStream,
  withLogDestination,
  type LogEvent,
} from '../../../core/observe/task-log.js';
import { defaultTaskSettings } from '../../../core/settings/index.js';

const T = Date.UTC(2023, 1, 22, 10, 9, 29, 512);

describe('formatLogLine', () => {
  it('writes AWS DMS line layout: thread id, time without zone, 16-wide component, level letter', () => {
    expect(formatLogLine(T, 362696, 'SOURCE_CAPTURE', 'I', 'Capture started')).toBe('00362696: 2023-02-22T10:09:29 [SOURCE_CAPTURE  ]I:  Capture started');
    expect(formatLogLine(T, 7, 'METADATA_MANAGER', 'E', 'x')).toBe('00000007: 2023-02-22T10:09:29 [METADATA_MANAGER]E:  x');
  });
});

describe('logFilter', () => {
  it('is null unless EnableLogging is true', () => {
    expect(logFilter(defaultTaskSettings())).toBeNull();
    expect(logFilter({})).toBeNull();
  });

  it('applies each component severity; DEFAULT logs what INFO logs', () => {
    const settings = defaultTaskSettings() as { Logging: { EnableLogging: boolean; LogComponents: { Id: string; Severity: string }[] } };
    settings.Logging.EnableLogging = true;
    for (const c of settings.Logging.LogComponents) {
      if (c.Id === 'SOURCE_CAPTURE') c.Severity = 'LOGGER_SEVERITY_ERROR';
      if (c.Id === 'TARGET_APPLY') c.Severity = 'LOGGER_SEVERITY_DEBUG';
    }
    const f = logFilter(settings)!;
    expect([f('TASK_MANAGER', 'I'), f('TASK_MANAGER', 'W'), f('TASK_MANAGER', 'D')]).toEqual([true, true, false]);
    expect([f('SOURCE_CAPTURE', 'E'), f('SOURCE_CAPTURE', 'W'), f('SOURCE_CAPTURE', 'I')]).toEqual([true, false, false]);
    expect([f('TARGET_APPLY', 'D'), f('TARGET_APPLY', 'T')]).toEqual([true, false]);
  });
});

describe('log destination names', () => {
  it('are AWS’s group and stream for the task', () => {
    expect(taskLogGroup('myinstance-mtaquia-01')).toBe('dms-tasks-myinstance-mtaquia-01');
    expect(taskLogStream('arn:aws:dms:us-east-1:000000000000:task:E2FDDWUKQJV7UCIKU3GCEWAXX6HYE5OKAILG7AA')).toBe('dms-task-E2FDDWUKQJV7UCIKU3GCEWAXX6HYE5OKAILG7AA');
  });

  it('fill Logging.CloudWatchLogGroup/Stream when logging is on, null otherwise', () => {
    const off = JSON.stringify(defaultTaskSettings());
    expect(withLogDestination(off, 'ri', 'arn:aws:dms:us-east-1:000000000000:task:ABC')).toBe(off);
    const doc = defaultTaskSettings() as { Logging: Record<string, unknown> };
    doc.Logging.EnableLogging = true;
    const on = JSON.parse(withLogDestination(JSON.stringify(doc), 'ri', 'arn:aws:dms:us-east-1:000000000000:task:ABC'));
    expect(on.Logging).toMatchObject({ CloudWatchLogGroup: 'dms-tasks-ri', CloudWatchLogStream: 'dms-task-ABC' });
    on.Logging.EnableLogging = false;
    expect(JSON.parse(withLogDestination(JSON.stringify(on), 'ri', 'x:ABC')).Logging).toMatchObject({ CloudWatchLogGroup: null, CloudWatchLogStream: null });
  });
});

describe('BufferedTaskLog', () => {
  const all = () => true;

  it('queues without blocking, writes in order on flush, redacts secrets', async () => {
    const written: LogEvent[][] = [];
    const log = new BufferedTaskLog({ filter: all, destinations: [{ name: 'mem', write: async (e) => void written.push(e) }], redact: () => ['hunter2'], threadId: 1, nowMs: () => T, flushMs: 60_000 });
    log.info('TASK_MANAGER', 'one');
    log.error('SOURCE_CAPTURE', 'Access denied using hunter2');
    expect(written).toEqual([]);
    await log.close();
    expect(written.flat().map((e) => e.message)).toEqual([
      '00000001: 2023-02-22T10:09:29 [TASK_MANAGER    ]I:  one',
      '00000001: 2023-02-22T10:09:29 [SOURCE_CAPTURE  ]E:  Access denied using ********',
    ]);
    log.info('TASK_MANAGER', 'after close');
    await log.flush();
    expect(written.flat()).toHaveLength(2);
  });

  it('keeps at most maxPending lines while a destination is slow and says how many it dropped', async () => {
    const written: LogEvent[] = [];
    const log = new BufferedTaskLog({ filter: all, destinations: [{ name: 'mem', write: async (e) => void written.push(...e) }], maxPending: 3, threadId: 1, nowMs: () => T, flushMs: 60_000 });
    for (let i = 0; i < 10; i++) log.info('TASK_MANAGER', `line ${i}`);
    await log.close();
    expect(written.map((e) => e.message.split(':  ')[1])).toEqual(['7 log lines were dropped: the log destination is too slow', 'line 7', 'line 8', 'line 9']);
  });

  it('a failing destination does not stop the others', async () => {
    const written: LogEvent[] = [];
    const log = new BufferedTaskLog({
      filter: all,
      destinations: [{ name: 'broken', write: async () => { throw new Error('down'); } }, { name: 'mem', write: async (e) => void written.push(...e) }],
      flushMs: 60_000,
    });
    log.warn('COMMON', 'x');
    await log.close();
    expect(written).toHaveLength(1);
  });
});
