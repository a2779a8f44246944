#!/usr/bin/env node
// `npx dmslite ...`: runs handlers/cli.ts through tsx (installed by `npm ci`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../handlers/cli.ts');
process.exit(await main(process.argv.slice(2)));
