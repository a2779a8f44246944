"""Extracts the input side of botocore's dms/2016-01-01 model into core/api/dms-model.json.

Run: python3 infra/tools/gen-dms-model.py  (needs botocore; the output is committed)."""
import gzip, json, os, botocore

src = os.path.join(os.path.dirname(botocore.__file__), 'data/dms/2016-01-01/service-2.json.gz')
model = json.load(gzip.open(src))
shapes = model['shapes']
out_shapes = {}
TYPES = {'string': 's', 'integer': 'i', 'long': 'i', 'boolean': 'b', 'double': 'd', 'float': 'd',
         'timestamp': 't', 'list': 'l', 'map': 'm', 'structure': 'o', 'blob': 's'}

def visit(name):
    if name in out_shapes:
        return
    s = shapes[name]
    c = {'t': TYPES[s['type']]}
    out_shapes[name] = c
    if 'enum' in s:
        c['e'] = s['enum']
    if s['type'] == 'structure':
        c['m'] = {k: v['shape'] for k, v in s['members'].items()}
        if s.get('required'):
            c['r'] = s['required']
        for v in s['members'].values():
            visit(v['shape'])
    elif s['type'] == 'list':
        c['i'] = s['member']['shape']
        visit(s['member']['shape'])
    elif s['type'] == 'map':
        c['k'] = s['key']['shape']; c['v'] = s['value']['shape']
        visit(s['key']['shape']); visit(s['value']['shape'])

ops = {}
for name, op in sorted(model['operations'].items()):
    inp = op.get('input', {}).get('shape')
    ops[name] = inp
    if inp:
        visit(inp)
dest = os.path.join(os.path.dirname(__file__), '../../core/api/dms-model.json')
json.dump({'apiVersion': model['metadata']['apiVersion'], 'operations': ops, 'shapes': out_shapes},
          open(dest, 'w'), separators=(',', ':'), sort_keys=True)
print(len(ops), 'operations,', len(out_shapes), 'shapes ->', os.path.getsize(dest), 'bytes')
