// Summarises a CPU profile (`npm run bench -- --cpu-prof` writes them): self time by function and by
// file or package, and inclusive time. Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile>
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const nodes = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const self = new Map<number, number>();
const dts = p.timeDeltas as number[];
// --last <s>: only the last s seconds of the profile (the measured scenario, not start-up).
const lastArg = process.argv.indexOf('--last');
const windowUs = lastArg > 0 ? Number(process.argv[lastArg + 1]) * 1e6 : Infinity;
const times: number[] = [];
let at = p.startTime as number;
for (const d of dts) times.push((at += d));
const end = times.at(-1) ?? 0;
p.samples.forEach((id: number, i: number) => {
  if (end - times[i]! <= windowUs) self.set(id, (self.get(id) ?? 0) + (dts[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: any) => { const f = n.callFrame; const url = (f.url || '').replace(/.*node_modules\//, 'nm:').replace(/.*\/dist\/src\//, 'src:').replace(/^node:/, 'node:'); return `${f.functionName || '(anon)'} ${url}:${f.lineNumber}`; };
const byFn = new Map<string, number>(); const byFile = new Map<string, number>();
for (const [id, t] of self) { const n = nodes.get(id); byFn.set(label(n), (byFn.get(label(n)) ?? 0) + t);
  const url = (n.callFrame.url || '(native) ' + n.callFrame.functionName).replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, 'nm:$1').replace(/.*\/dist\/src\//, 'src/');
  byFile.set(url, (byFile.get(url) ?? 0) + t); }
const pct = (t: number) => (100 * t / total).toFixed(1) + '%';
console.log('TOTAL ms', (total / 1000).toFixed(0));
console.log('--- self by function'); [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 45).forEach(([k, t]) => console.log(pct(t).padStart(6), k));
console.log('--- self by file'); [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 40).forEach(([k, t]) => console.log(pct(t).padStart(6), k));
// inclusive by function name match
const incl = new Map<string, number>();
for (const [id, t] of self) { const seen = new Set<string>(); let cur: number | undefined = id; while (cur !== undefined) { const n = nodes.get(cur); const l = label(n); if (!seen.has(l)) { seen.add(l); incl.set(l, (incl.get(l) ?? 0) + t); } cur = parent.get(cur); } }
console.log('--- inclusive top'); [...incl].sort((a, b) => b[1] - a[1]).slice(0, 70).forEach(([k, t]) => console.log(pct(t).padStart(6), k));
