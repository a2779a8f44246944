import * as esbuild from '/work/main/node_modules/esbuild/lib/main.js';
import { bundleOptions } from '/work/main/infra/build.mjs';
for (const e of ['handlers/api.ts','handlers/runner.ts']) {
  const o = { ...bundleOptions(e, '/tmp/chk/' + e.replace(/\W/g,'_') + '.mjs'), minify: false, keepNames: false };
  const r = await esbuild.build(o);
  console.log(e, r.warnings.length);
}
