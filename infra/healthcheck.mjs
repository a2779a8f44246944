#!/usr/bin/env node
// Container health check of the runner (infra/Dockerfile HEALTHCHECK): healthy while the runner's
// heartbeat file is fresh. The runner touches DMSLITE_HEALTH_FILE on every heartbeat (each
// DMSLITE_HEARTBEAT_MS); a runner that is stuck, or lost DynamoDB, stops touching it.
//   exit 0: touched within DMSLITE_HEALTH_MAX_AGE_MS (default 30000)
//   exit 1: stale or missing (the reason on stderr)
// Node builtins only: it runs beside the bundle with no node_modules.
import { statSync } from 'node:fs';

const file = process.env.DMSLITE_HEALTH_FILE || '/tmp/dmslite-runner.health';
const maxAgeMs = Number(process.env.DMSLITE_HEALTH_MAX_AGE_MS || 30_000);

let mtimeMs;
try {
  mtimeMs = statSync(file).mtimeMs;
} catch (e) {
  console.error(`unhealthy: no heartbeat file ${file} (${e.code ?? e.message}): has the runner started?`);
  process.exit(1);
}
const age = Date.now() - mtimeMs;
if (age > maxAgeMs) {
  console.error(`unhealthy: last heartbeat ${Math.round(age / 1000)} s ago (${file}, limit ${maxAgeMs} ms)`);
  process.exit(1);
}
console.log(`healthy: heartbeat ${Math.round(age)} ms ago`);
