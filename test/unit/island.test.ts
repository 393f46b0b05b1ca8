// DESIGN.md section 4: the signer island never imports the network, the coordinator or the chain,
// directly or through another module. This follows every relative import from each island file.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const ISLAND = ['signer', 'keys', 'policy', 'approvals', 'bitcoin', 'artifacts'].map((d) =>
  join(root, 'src', d),
);
const NETWORK_MODULES = /^(node:)?(http|https|http2|net|dgram|tls)$/;
const ONLINE_FOLDERS = [join(root, 'src', 'coordinator'), join(root, 'src', 'chain')];

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
}

/** Every module reachable from `file`, with the chain that reaches it. */
function reach(
  file: string,
  seen = new Map<string, string[]>(),
  chain: string[] = [],
): Map<string, string[]> {
  for (const spec of importsOf(file)) {
    const path = spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec;
    if (seen.has(path)) continue;
    const via = [...chain, relative(root, file)];
    seen.set(path, via);
    if (spec.startsWith('.')) reach(path, seen, via);
  }
  return seen;
}

describe('the signer island', () => {
  const files = ISLAND.flatMap(sourceFiles);

  it('has files to check', () => expect(files.length).toBeGreaterThan(10));

  it.each(files.map((f) => [relative(root, f), f]))(
    '%s reaches no network module and no online code',
    (_, file) => {
      const reached = reach(file);
      const bad = [...reached.entries()].filter(
        ([module]) => NETWORK_MODULES.test(module) || ONLINE_FOLDERS.some((d) => module.startsWith(d)),
      );
      expect(bad.map(([module, via]) => `${module} via ${via.join(' → ')}`)).toEqual([]);
      expect(readFileSync(file, 'utf8')).not.toMatch(/\bfetch\s*\(/);
    },
  );
});
