// EngineName → source. The only module that names the implementations: the runner, TestConnection,
// RefreshSchemas and CdcStartPosition validation get their source through it.
import { MYSQL_ENGINES, POSTGRES_ENGINES } from '../model/endpoint-connection.js';
import type { SourceEngine, SourceRegistry } from './contract.js';
import { mysqlEngine } from './mysql/source.js';
import { postgresEngine } from './postgres/engine.js';

const engines = new Map<string, SourceEngine>();
// MySQL-compatible: mysql, mariadb, aurora (Aurora MySQL), gcp-mysql.
for (const name of MYSQL_ENGINES) engines.set(name, mysqlEngine);
// PostgreSQL-compatible: postgres, aurora-postgresql.
for (const name of POSTGRES_ENGINES) engines.set(name, postgresEngine);

export const sourceRegistry: SourceRegistry = {
  forEngine: (engineName) => engines.get(engineName) ?? null,
  engineNames: [...engines.keys()],
};
