// Summarises a CPU profile (`npm run bench -- --cpu-prof` writes them to bench/results/profiles):
// self time by function and by file or package, and inclusive time by function.
// Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [--last <seconds>]
// (--last: only the profile's last seconds, the measured scenario rather than start-up).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Profile;
const lastArg = process.argv.indexOf('--last');
const windowUs = lastArg > 0 ? Number(process.argv[lastArg + 1]) * 1e6 : Number.POSITIVE_INFINITY;

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Time per node, counting only the samples in the window.
const self = new Map<number, number>();
const times: number[] = [];
let at = profile.startTime;
for (const d of profile.timeDeltas) {
  at += d;
  times.push(at);
}
const end = times.at(-1) ?? 0;
profile.samples.forEach((id, i) => {
  if (end - times[i]! <= windowUs) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

const shortUrl = (url: string) => url.replace(/.*node_modules\//, 'nm:').replace(/.*\/dist\/src\//, 'src:');
const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anon)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber}`;
const fileOf = (n: ProfileNode) =>
  (n.callFrame.url || `(native) ${n.callFrame.functionName}`)
    .replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, 'nm:$1')
    .replace(/.*\/dist\/src\//, 'src/');

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, t] of self) {
  const n = nodes.get(id)!;
  byFunction.set(label(n), (byFunction.get(label(n)) ?? 0) + t);
  byFile.set(fileOf(n), (byFile.get(fileOf(n)) ?? 0) + t);
  // Each function once per sample, however deep it recurses.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(nodes.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + t);
  }
}

const print = (title: string, entries: Map<string, number>, count: number) => {
  console.log(`--- ${title}`);
  for (const [name, t] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`${((100 * t) / total).toFixed(1).padStart(5)}% ${name}`);
  }
};
console.log(`${(total / 1000).toFixed(0)} ms of samples`);
print('self, by function', byFunction, 45);
print('self, by file or package', byFile, 40);
print('inclusive, by function', inclusive, 70);
