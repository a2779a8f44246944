// Public surface of the DMS Kinesis record formatter. See README.md for the choices made
// where AWS documents nothing.
export * from './formatter.js';
export * from './values.js';
export * from './dms-types.js';
export * from './postgres.js';
