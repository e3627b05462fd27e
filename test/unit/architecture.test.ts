import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * The tree shows the design: these checks keep it so. The folders depend on each other without a
 * cycle, and the outside world's libraries stay in their layer (the linter says the same per file,
 * see eslint.config.js). Tests and tools may import anything.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SKIP = new Set(['node_modules', 'test', 'tools', '.git']);

function sourceFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

function importsOf(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  return [...source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1]!);
}

/** The top-level folder of a file, or '.' for the wiring at the root (app.ts, server.ts). */
function folderOf(file: string): string {
  const [first, ...rest] = file.split('/');
  return rest.length === 0 ? '.' : first!;
}

const files = sourceFiles();
const edges = new Map<string, Set<string>>();
for (const file of files) {
  for (const spec of importsOf(file)) {
    if (!spec.startsWith('.')) continue;
    const from = folderOf(file);
    const to = folderOf(normalize(join(dirname(file), spec)));
    if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
  }
}

/** A cycle in the folder graph, as a path, if there is one. */
function findCycle(): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('architecture', () => {
  it('reads the source tree', () => {
    assert.ok(files.length > 80, `${files.length} files`);
  });

  it('the folders depend on each other without a cycle', () => {
    assert.equal(findCycle()?.join(' → '), undefined);
  });

  it('the domain (mfa, sso, directory, audit, config, lib, notify, admin, self_service) depends on neither the web layer nor the adapters', () => {
    for (const domain of ['mfa', 'sso', 'directory', 'audit', 'config', 'lib', 'notify', 'admin', 'self_service']) {
      const outward = [...(edges.get(domain) ?? [])].filter((to) => ['interactions', 'adapters', 'provider', 'views', '.'].includes(to));
      assert.deepEqual(outward, [], domain);
    }
  });

  const owners: [string, RegExp, (file: string) => boolean][] = [
    ['Koa', /^(koa|@koa\/.*)$/, (file) => file.startsWith('interactions/') || folderOf(file) === '.'],
    ['Redis', /^redis$/, (file) => file.startsWith('adapters/')],
    ['SMTP', /^nodemailer$/, (file) => file.startsWith('adapters/')],
    ['the template engine', /^ejs$/, (file) => file.startsWith('views/')],
  ];
  for (const [name, pkg, allowed] of owners) {
    it(`${name} is imported only in its layer`, () => {
      const outside = files.filter((file) => !allowed(file) && importsOf(file).some((spec) => pkg.test(spec)));
      assert.deepEqual(outside, []);
    });
  }

  it('a method is one folder under mfa/factors/, named by its id, listed once in the registry', () => {
    const registry = readFileSync(join(ROOT, 'mfa', 'registry.ts'), 'utf8');
    const folders = readdirSync(join(ROOT, 'mfa', 'factors'));
    for (const id of [...registry.matchAll(/^\s+id: '([a-z_]+)',$/gm)].map((m) => m[1]!)) assert.ok(folders.includes(id), `mfa/factors/${id}/`);
    // Outside mfa/, only the SMS gateway (it implements the method's port) and the seed (its
    // `smsPhone` field is checked by the method's number rules) reach into a method's folder.
    const reachingIn = files.filter((file) => !file.startsWith('mfa/') && importsOf(file).some((spec) => /\/factors\/[a-z_]+\//.test(spec)));
    assert.deepEqual(reachingIn.sort(), ['adapters/sms_gateway.ts', 'seed/schema.ts']);
  });
});
