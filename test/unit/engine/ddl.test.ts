import { describe, expect, it } from 'vitest';
import { parseDdl } from '../../../core/engine/ddl.js';

const t = (table: string, schema = 'db') => ({ schema, table });

describe('parseDdl: ALTER TABLE', () => {
  it('one control operation per column change, in statement order', () => {
    expect(parseDdl('ALTER TABLE t ADD COLUMN c INT', 'db')).toEqual({ kind: 'alter', tables: [t('t')], operations: ['add-column'] });
    expect(parseDdl('ALTER TABLE `s`.`t` ADD c INT, DROP COLUMN d, MODIFY e BIGINT, CHANGE f g INT, RENAME COLUMN h TO i', 'db')).toEqual({
      kind: 'alter',
      tables: [t('t', 's')],
      operations: ['add-column', 'drop-column', 'column-type-change', 'change-columns', 'rename-column'],
    });
    expect(parseDdl('alter table t modify column e enum(\'a,b\', \'c\'), change column f f bigint', 'db').operations).toEqual(['column-type-change', 'change-columns']);
    expect(parseDdl('ALTER TABLE t ADD COLUMN c INT FIRST, ADD COLUMN d INT AFTER c', 'db').operations).toEqual(['add-column', 'add-column']);
    expect(parseDdl('ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT, DROP COLUMN IF EXISTS d', 'db').operations).toEqual(['add-column', 'drop-column']);
    expect(parseDdl('ALTER TABLE t DROP a, DROP `b`', 'db').operations).toEqual(['drop-column', 'drop-column']);
  });

  it('indexes, keys, constraints, partitions and table options are no column change', () => {
    for (const sql of [
      'ALTER TABLE t ADD INDEX ix (a)',
      'ALTER TABLE t ADD KEY k2(b), ADD UNIQUE (c), ADD UNIQUE KEY u (d), ADD PRIMARY KEY (id)',
      'ALTER TABLE t ADD FULLTEXT INDEX f (a), ADD SPATIAL INDEX s (g)',
      'ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES x(id)',
      'ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES x(id), ADD CHECK (a > 0)',
      'ALTER TABLE t DROP INDEX ix, DROP KEY k, DROP PRIMARY KEY, DROP FOREIGN KEY fk, DROP CONSTRAINT c, DROP CHECK c2',
      'ALTER TABLE t ADD PARTITION (PARTITION p3 VALUES LESS THAN (30)), DROP PARTITION p1',
      'ALTER TABLE t RENAME INDEX a TO b',
      'ALTER TABLE t RENAME KEY a TO b',
      'ALTER TABLE t ALTER COLUMN a SET DEFAULT 1',
      'ALTER TABLE t ENGINE=InnoDB',
      'ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4',
      'ALTER TABLE t FORCE',
    ]) {
      expect(parseDdl(sql, 'db'), sql).toEqual({ kind: 'alter', tables: [t('t')], operations: [] });
    }
    // An index added beside a column: only the column counts.
    expect(parseDdl('ALTER TABLE t ADD COLUMN c INT, ADD INDEX (c), ALGORITHM=INPLACE, LOCK=NONE', 'db').operations).toEqual(['add-column']);
  });

  it('columns named like keywords are columns', () => {
    expect(parseDdl('ALTER TABLE t ADD `index` INT, ADD key_col INT, ADD COLUMN `key` INT', 'db').operations).toEqual(['add-column', 'add-column', 'add-column']);
    expect(parseDdl('ALTER TABLE t DROP `key`, DROP key_x, DROP check_y, DROP partition_z', 'db').operations).toEqual(['drop-column', 'drop-column', 'drop-column', 'drop-column']);
  });

  it('commas inside parentheses, quotes and backticks do not split changes', () => {
    expect(parseDdl("ALTER TABLE t ADD c DECIMAL(10,2) COMMENT 'a, b', ADD `x,y` INT", 'db').operations).toEqual(['add-column', 'add-column']);
    expect(parseDdl("ALTER TABLE t ADD c INT COMMENT 'it\\'s, really', ADD d INT", 'db').operations).toEqual(['add-column', 'add-column']);
    expect(parseDdl("ALTER TABLE t ADD c INT COMMENT 'it''s, really', ADD d INT", 'db').operations).toEqual(['add-column', 'add-column']);
  });

  it('ALTER ... RENAME gives the new name', () => {
    expect(parseDdl('ALTER TABLE t RENAME TO u', 'db')).toEqual({ kind: 'alter', tables: [t('t')], operations: [], renamedTo: [t('u')] });
    expect(parseDdl('ALTER TABLE s.t RENAME AS s2.u', 'db')).toEqual({ kind: 'alter', tables: [t('t', 's')], operations: [], renamedTo: [t('u', 's2')] });
    expect(parseDdl('ALTER TABLE s.t RENAME u', 'db').renamedTo).toEqual([t('u', 's')]);
    expect(parseDdl('ALTER TABLE t RENAME COLUMN a TO b', 'db')).toEqual({ kind: 'alter', tables: [t('t')], operations: ['rename-column'] });
  });

  it('statement prefixes and comments', () => {
    expect(parseDdl('ALTER ONLINE IGNORE TABLE IF EXISTS t ADD c INT', 'db')).toEqual({ kind: 'alter', tables: [t('t')], operations: ['add-column'] });
    expect(parseDdl('ALTER TABLE t WAIT 5 ADD c INT', 'db').operations).toEqual(['add-column']);
    expect(parseDdl('ALTER TABLE t NOWAIT DROP c', 'db').operations).toEqual(['drop-column']);
    expect(parseDdl('/* c */ ALTER  TABLE\n\tt -- trailing\n ADD # hash comment\n c INT', 'db')).toEqual({ kind: 'alter', tables: [t('t')], operations: ['add-column'] });
    // Executable comments are SQL.
    expect(parseDdl('/*!40000 ALTER TABLE `t` DISABLE KEYS */', 'db')).toEqual({ kind: 'alter', tables: [t('t')], operations: [] });
    expect(parseDdl('ALTER TABLE t /*M!100301 ADD c INT */', 'db').operations).toEqual(['add-column']);
  });
});

describe('parseDdl: table names', () => {
  it('backticked names keep spaces, dots, escaped backticks and comment characters', () => {
    expect(parseDdl('ALTER TABLE `my db`.`my.table` ADD c INT', 'db').tables).toEqual([t('my.table', 'my db')]);
    expect(parseDdl('ALTER TABLE `a``b` ADD c INT', 'db').tables).toEqual([t('a`b')]);
    expect(parseDdl('RENAME TABLE `a#1` TO `b--2`', 'db')).toEqual({ kind: 'rename', tables: [t('a#1')], operations: [], renamedTo: [t('b--2')] });
    expect(parseDdl('TRUNCATE TABLE `s` . `t`', 'db').tables).toEqual([t('t', 's')]);
  });

  it('unqualified names take the default schema', () => {
    expect(parseDdl('TRUNCATE t', 'other').tables).toEqual([t('t', 'other')]);
  });
});

describe('parseDdl: other statements', () => {
  it('RENAME TABLE pairs', () => {
    expect(parseDdl('RENAME TABLE a TO b, s.c TO s2.d', 'db')).toEqual({
      kind: 'rename',
      tables: [t('a'), t('c', 's')],
      operations: [],
      renamedTo: [t('b'), t('d', 's2')],
    });
    expect(parseDdl('RENAME TABLE IF EXISTS a TO b', 'db')).toEqual({ kind: 'rename', tables: [t('a')], operations: [], renamedTo: [t('b')] });
  });

  it('DROP TABLE lists, as the server logs them', () => {
    expect(parseDdl('DROP TABLE a, s.b, `c`', 'db')).toEqual({ kind: 'drop', tables: [t('a'), t('b', 's'), t('c')], operations: [] });
    expect(parseDdl('DROP TABLE IF EXISTS `a`,`b` /* generated by server */', 'db')).toEqual({ kind: 'drop', tables: [t('a'), t('b')], operations: [] });
    expect(parseDdl('DROP TEMPORARY TABLE IF EXISTS x CASCADE', 'db')).toEqual({ kind: 'drop', tables: [t('x')], operations: [] });
  });

  it('TRUNCATE, with or without TABLE', () => {
    expect(parseDdl('TRUNCATE TABLE s.t', 'db')).toEqual({ kind: 'truncate', tables: [t('t', 's')], operations: [] });
    expect(parseDdl('truncate `t`', 'db')).toEqual({ kind: 'truncate', tables: [t('t')], operations: [] });
  });

  it('CREATE TABLE (not temporary)', () => {
    expect(parseDdl('CREATE TABLE t (id INT PRIMARY KEY)', 'db')).toEqual({ kind: 'create', tables: [t('t')], operations: [] });
    expect(parseDdl('CREATE TABLE IF NOT EXISTS `s`.`t` (id INT)', 'db')).toEqual({ kind: 'create', tables: [t('t', 's')], operations: [] });
    expect(parseDdl('create or replace table t (id int)', 'db').kind).toBe('create');
    expect(parseDdl('CREATE TABLE t LIKE u', 'db')).toEqual({ kind: 'create', tables: [t('t')], operations: [] });
    expect(parseDdl('CREATE TEMPORARY TABLE t (id INT)', 'db')).toEqual({ kind: 'other', tables: [], operations: [] });
  });

  it('anything else touches no table', () => {
    for (const sql of ['CREATE INDEX i ON t(a)', 'GRANT SELECT ON *.* TO x', 'CREATE DATABASE x', 'DROP DATABASE x', 'FLUSH TABLES', 'SAVEPOINT a', '']) {
      expect(parseDdl(sql, 'db'), sql).toEqual({ kind: 'other', tables: [], operations: [] });
    }
  });
});

describe('parseDdl: PostgreSQL (the text of AWS\'s DDL event trigger)', () => {
  it('the LocalStack sample ALTERs: column-type-change, drop-column, add-column', () => {
    expect(parseDdl('ALTER TABLE books ALTER COLUMN isbn TYPE VARCHAR(30);', 'public', 'postgres')).toEqual({
      kind: 'alter', tables: [{ schema: 'public', table: 'books' }], operations: ['column-type-change'],
    });
    expect(parseDdl('ALTER TABLE accounts DROP COLUMN profile_picture;', 'public', 'postgres').operations).toEqual(['drop-column']);
    expect(parseDdl('ALTER TABLE authors ADD COLUMN is_available BOOLEAN DEFAULT TRUE;', 'public', 'postgres').operations).toEqual(['add-column']);
  });

  it('double-quoted names, folding of unquoted ones, ONLY, SET DATA TYPE, defaults and NOT NULL are no column change', () => {
    expect(parseDdl('ALTER TABLE ONLY "My S"."T 1" ALTER c SET DATA TYPE bigint, ALTER d SET DEFAULT 1, ALTER e SET NOT NULL, RENAME COLUMN a TO b', 'public', 'postgres')).toEqual({
      kind: 'alter', tables: [{ schema: 'My S', table: 'T 1' }], operations: ['column-type-change', 'rename-column'],
    });
    expect(parseDdl('ALTER TABLE Shop.Items RENAME TO Goods', 'public', 'postgres')).toMatchObject({ tables: [{ schema: 'shop', table: 'items' }], renamedTo: [{ schema: 'shop', table: 'goods' }] });
    expect(parseDdl('DROP TABLE a, "B" CASCADE', 'public', 'postgres').tables).toEqual([{ schema: 'public', table: 'a' }, { schema: 'public', table: 'B' }]);
    expect(parseDdl('CREATE TABLE IF NOT EXISTS x.Y (id int)', 'public', 'postgres')).toMatchObject({ kind: 'create', tables: [{ schema: 'x', table: 'y' }] });
  });

  it('MySQL names keep their case and ONLY is a table name there', () => {
    expect(parseDdl('ALTER TABLE Shop.Items ADD c int', 'db').tables).toEqual([{ schema: 'Shop', table: 'Items' }]);
    expect(parseDdl('ALTER TABLE ONLY ADD c int', 'db').tables).toEqual([{ schema: 'db', table: 'ONLY' }]);
  });
});
