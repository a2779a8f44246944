import { bundle } from '../infra/build.mjs';
for (const e of ['handlers/api.ts','handlers/runner.ts']) {
  const { metafile } = await bundle(e, '/tmp/chk2/' + e.replace(/\W/g,'_') + '.mjs');
  const pk = new Set(Object.keys(metafile.inputs).filter(p=>p.includes('node_modules')).map(p=>p.replace(/.*node_modules\//,'').split('/').slice(0,p.includes('/@')?2:1).join('/')));
  console.log(e, [...pk].sort().join(' '));
}
