// The benchmark's printed table and its targets (issue 6): ratios are against the baseline measured
// in the same run, on the same machine, with the same connections and duration.
import type { Measured, Scenario } from './scenarios.ts';

/** Kassa's requests/s as a share of the baseline's, per scenario; p99 and errors for every scenario. */
export const TARGETS = { ratio: { create: 0.5, get: 0.6, patch: 0.4 } as Partial<Record<Scenario, number>>, p99Ms: 20, errors: 0 };
/** Get and patch on a pre-filled database stay within this factor of the fresh-database figures. */
export const SCALE_FACTOR = 1.25;

export interface Row {
  target: string;
  scenario: string;
  m: Measured;
  ratio?: number;
}

export function checkTargets(scenario: Scenario, m: Measured, ratio: number): string[] {
  const missed: string[] = [];
  const wanted = TARGETS.ratio[scenario];
  if (wanted !== undefined && ratio < wanted) missed.push(`${scenario}: ${ratio.toFixed(2)}x baseline < ${wanted}x`);
  if (m.p99Ms > TARGETS.p99Ms) missed.push(`${scenario}: p99 ${m.p99Ms} ms > ${TARGETS.p99Ms} ms`);
  if (m.errors > TARGETS.errors) missed.push(`${scenario}: ${m.errors} errors`);
  return missed;
}

export function table(rows: Row[]): string {
  const head = ['target', 'scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'bytes/resp', 'CPU µs/req', 'vs baseline'];
  const body = rows.map((r) => [
    r.target,
    r.scenario,
    String(r.m.requestsPerSecond),
    String(r.m.p50Ms),
    String(r.m.p99Ms),
    String(r.m.errors),
    String(r.m.bytesPerResponse),
    r.m.cpuMicrosPerRequest === undefined ? '' : String(r.m.cpuMicrosPerRequest),
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

export const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
