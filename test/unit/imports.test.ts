import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The module graph of core/, read from the source text: the engine depends on the source contract,
// never on an implementation, and no module imports itself back (issue 8).

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const core = join(root, 'core');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of a file, resolved to .ts paths (type-only imports included: they are dependencies too). */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (!spec.startsWith('.')) continue;
    out.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
  }
  return out;
}

const files = tsFiles(core);
const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => t.startsWith(core))]));
const rel = (f: string) => relative(root, f);

/** Every module reachable from `start` (itself included). */
function closure(start: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...start];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(graph.get(f) ?? []));
  }
  return seen;
}

/** One cycle per strongly connected component with more than one module (or a self-import). */
export function findCycles(g: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let i = 0;
  const visit = (v: string) => {
    index.set(v, i);
    low.set(v, i++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('core/ module graph', () => {
  it('the parser sees static, re-export, side-effect and dynamic imports', () => {
    const f = join(core, 'engine', 'x.ts');
    const text = `import { a } from './a.js';\nimport type { B } from '../source/mysql/b.js';\nexport { c } from "./c.js";\nimport './d.js';\nconst e = await import('./e.js');\nimport x from 'node:fs';`;
    expect(importsOf(f, text).map(rel)).toEqual(['core/engine/a.ts', 'core/source/mysql/b.ts', 'core/engine/c.ts', 'core/engine/d.ts', 'core/engine/e.ts']);
  });

  it('core/engine reaches no concrete source (core/source/<engine>/) nor the registry that names them', () => {
    const engine = files.filter((f) => f.startsWith(join(core, 'engine') + '/'));
    expect(engine.length).toBeGreaterThan(3);
    const reached = [...closure(engine)].filter((f) => f.startsWith(join(core, 'source') + '/')).map(rel);
    expect(reached).toContain('core/source/contract.ts');
    const concrete = reached.filter((f) => f.split('/').length > 3 || f === 'core/source/registry.ts');
    expect(concrete).toEqual([]);
    // The same check sees a concrete import when there is one.
    expect(['core/source/mysql/binlog.ts', 'core/source/contract.ts'].filter((f) => f.split('/').length > 3)).toEqual(['core/source/mysql/binlog.ts']);
  });

  it('the cycle finder finds a cycle', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']]]);
    expect(findCycles(g)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it('no import cycle inside core/', () => {
    expect(findCycles(graph).map((c) => c.map(rel))).toEqual([]);
  });
});
