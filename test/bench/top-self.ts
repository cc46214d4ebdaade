// Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and self
// time grouped by package, so a profile can be read without DevTools.
// Usage: npx tsx test/bench/top-self.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: top-self.ts <file.cpuprofile> [top]');
const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const self = new Map<number, number>();
p.samples.forEach((id, k) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[k] ?? 0)));
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
let total = 0;
for (const n of p.nodes) {
  const us = self.get(n.id) ?? 0;
  total += us;
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const where = url
    ? `${url.replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '').replace(/.*\/work\/main\//, '')}:${n.callFrame.lineNumber + 1}`
    : '';
  const key = `${n.callFrame.functionName || '(anonymous)'} ${where}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
  const pkg = !url
    ? n.callFrame.functionName
    : url.includes('node_modules')
      ? url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1')
      : url.startsWith('node:')
        ? 'node core'
        : url.replace(/.*\/work\/main\/((services|packages)\/[^/]+).*/, '$1');
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
}
const show = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .forEach(([k, us]) =>
      console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`),
    );
console.log(`total ${(total / 1000).toFixed(0)} ms sampled\n\nby package:`);
show(byPkg, 15);
console.log('\ntop self time:');
show(byFn, Number(topArg ?? 25));
