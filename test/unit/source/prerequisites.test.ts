import { describe, expect, it } from 'vitest';
import { evaluatePrerequisites, parseGrants } from '../../../core/source/mysql/prerequisites.js';

const GOOD_VARS = {
  log_bin: 'ON', binlog_format: 'ROW', binlog_row_image: 'FULL', server_id: '1', binlog_checksum: 'CRC32',
  expire_logs_days: '0', binlog_expire_logs_seconds: '0', binlog_row_metadata: 'FULL',
};
const GOOD_GRANTS = ["GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `dms`@`%` IDENTIFIED BY PASSWORD '*X'"];

describe('evaluatePrerequisites', () => {
  it('passes a correctly configured server', () => {
    expect(evaluatePrerequisites({ variables: GOOD_VARS, grants: GOOD_GRANTS, cdc: true })).toEqual({ failures: [], warnings: [] });
    expect(evaluatePrerequisites({ variables: { ...GOOD_VARS, binlog_checksum: 'NONE' }, grants: GOOD_GRANTS, cdc: true }).failures).toEqual([]);
  });
  it('names variable, actual and required value', () => {
    const r = evaluatePrerequisites({
      variables: { ...GOOD_VARS, binlog_format: 'STATEMENT', log_bin: 'OFF', binlog_row_image: 'MINIMAL', server_id: '0' },
      grants: GOOD_GRANTS, cdc: true,
    });
    const by = Object.fromEntries(r.failures.map((f) => [f.variable, f]));
    expect(Object.keys(by).sort()).toEqual(['binlog_format', 'binlog_row_image', 'log_bin', 'server_id']);
    expect(by.binlog_format!.message).toBe('binlog_format is STATEMENT; AWS DMS CDC requires binlog_format=ROW');
    expect(by.binlog_format!.actual).toBe('STATEMENT');
    expect(by.binlog_format!.required).toBe('ROW');
    expect(by.log_bin!.message).toMatch(/log_bin is OFF.*log_bin=ON/);
    expect(by.server_id!.message).toMatch(/server_id is 0/);
  });
  it('full load only needs SELECT and ignores binlog settings', () => {
    const r = evaluatePrerequisites({ variables: { ...GOOD_VARS, binlog_format: 'MIXED' }, grants: ['GRANT SELECT ON `app`.* TO `u`@`%`'], cdc: false });
    expect(r.failures).toEqual([]);
  });
  it('reports missing privileges', () => {
    const r = evaluatePrerequisites({ variables: GOOD_VARS, grants: ['GRANT SELECT ON *.* TO `u`@`%`'], cdc: true });
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.variable).toBe('privileges');
    expect(r.failures[0]!.message).toMatch(/lacks REPLICATION CLIENT, REPLICATION SLAVE/);
    expect(evaluatePrerequisites({ variables: GOOD_VARS, grants: ['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION'], cdc: true }).failures).toEqual([]);
    expect(evaluatePrerequisites({ variables: GOOD_VARS, grants: ['GRANT USAGE ON *.* TO `u`@`%`'], cdc: false }).failures[0]!.message).toMatch(/lacks SELECT/);
    // MariaDB 10.5+ BINLOG MONITOR is the new name of REPLICATION CLIENT
    expect(evaluatePrerequisites({ variables: GOOD_VARS, grants: ['GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `u`@`%`'], cdc: true }).failures).toEqual([]);
    // a granted role is not expanded: warn instead of fail
    const role = evaluatePrerequisites({ variables: GOOD_VARS, grants: ['GRANT `dmsrole` TO `u`@`%`', 'GRANT USAGE ON *.* TO `u`@`%`'], cdc: true });
    expect(role.failures).toEqual([]);
    expect(role.warnings[0]!.variable).toBe('privileges');
  });
  it('warns on short retention and missing row metadata', () => {
    const r = evaluatePrerequisites({
      variables: { ...GOOD_VARS, binlog_expire_logs_seconds: '3600', binlog_row_metadata: 'NO_LOG' }, grants: GOOD_GRANTS, cdc: true,
    });
    expect(r.failures).toEqual([]);
    expect(r.warnings.map((w) => w.variable).sort()).toEqual(['binlog_expire_logs_seconds', 'binlog_row_metadata']);
  });
  it('parseGrants', () => {
    const g = parseGrants(['GRANT SELECT, INSERT ON `shop`.* TO `u`@`%`', 'GRANT REPLICATION SLAVE ON *.* TO `u`@`%`']);
    expect([...g.global]).toEqual(['REPLICATION SLAVE']);
    expect([...g.selectSchemas]).toEqual(['shop']);
  });
});
