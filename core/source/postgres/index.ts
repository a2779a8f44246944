// Public surface of the PostgreSQL source.
export * from './connection.js';
export * from './lsn.js';
export * from './metadata.js';
export * from './decoding.js';
export * from './prerequisites.js';
export * from './snapshot.js';
export * from './artifacts.js';
export * from './source.js';
export * from './engine.js';
