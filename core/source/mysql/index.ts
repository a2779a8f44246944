// Public surface of the MySQL / MariaDB source.
export * from './connection.js';
export * from './metadata.js';
export * from './values.js';
export * from './snapshot.js';
export * from './prerequisites.js';
export * from './binlog.js';
export * from './source.js';
