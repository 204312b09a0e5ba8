// The benchmark's printed table and its targets: ratios are against the node:http baseline measured
// in the same run, on the same machine, with the same connections and duration; the ceiling (the same
// libraries doing only what any implementation must, bench/ceiling.ts) shows how close Kassa is to
// what those libraries allow. See docs/performance.md.
import type { Measured, Scenario } from './scenarios.ts';

/** Kassa's requests/s as a share of the baseline's, per scenario. */
export const RATIO_TARGETS: Partial<Record<Scenario, number>> = { create: 0.3, get: 0.6, patch: 0.3, 'patch-hot': 0.15 };
/** Highest p99 latency, per scenario (ms). */
export const P99_TARGETS: Partial<Record<Scenario, number>> = { create: 35, get: 20, patch: 35 };
/** Most server CPU per create (µs). */
export const CPU_PER_CREATE_US = 350;
/** Kassa's ratio as a share of the ceiling's, at least, per scenario the ceiling serves. */
export const CEILING_SHARES: Partial<Record<Scenario, number>> = { create: 0.95, get: 0.9, patch: 0.85, 'patch-hot': 0.85, pay: 0.85 };
/** Paying with a webhook endpoint configured keeps at least this share of the throughput without one. */
export const WEBHOOK_SHARE = 0.9;
/** Get and patch on a pre-filled database stay within this factor of the fresh-database figures. */
export const SCALE_FACTOR = 1.25;

export interface Row {
  scenario: Scenario;
  baseline: Measured;
  ceiling?: Measured;
  kassa: Measured;
}

export interface Target {
  what: string;
  met: boolean;
}

const ratio = (m: Measured, base: Measured) => m.requestsPerSecond / base.requestsPerSecond;

export function targetsOf(row: Row): Target[] {
  const { scenario, baseline, ceiling, kassa } = row;
  const out: Target[] = [];
  const r = ratio(kassa, baseline);
  const wanted = RATIO_TARGETS[scenario];
  if (wanted !== undefined) out.push({ what: `${scenario}: ${r.toFixed(2)}x baseline (target >= ${wanted}x)`, met: r >= wanted });
  const p99 = P99_TARGETS[scenario];
  if (p99 !== undefined) out.push({ what: `${scenario}: p99 ${kassa.p99Ms} ms (target <= ${p99} ms)`, met: kassa.p99Ms <= p99 });
  if (scenario === 'create' && kassa.cpuMicrosPerRequest !== undefined) {
    out.push({
      what: `create: ${kassa.cpuMicrosPerRequest} µs CPU per request (target <= ${CPU_PER_CREATE_US} µs)`,
      met: kassa.cpuMicrosPerRequest <= CPU_PER_CREATE_US,
    });
  }
  const share = CEILING_SHARES[scenario];
  if (share !== undefined && ceiling) {
    const got = r / ratio(ceiling, baseline);
    out.push({
      what: `${scenario}: ${(got * 100).toFixed(0)}% of the ceiling (target >= ${share * 100}%)`,
      met: got >= share,
    });
  }
  if (wanted !== undefined || share !== undefined)
    out.push({ what: `${scenario}: ${kassa.errors} non-2xx or failed (target 0)`, met: kassa.errors === 0 });
  return out;
}

export function table(rows: Row[]): string {
  const head = [
    'scenario',
    'baseline req/s',
    'ceiling req/s',
    'ceiling ratio',
    'Kassa req/s',
    'ratio',
    'of ceiling',
    'p50 ms',
    'p99 ms',
    'errors',
    'CPU µs/req',
    'CPU µs/payment',
    'bytes/resp',
  ];
  const body = rows.map(({ scenario, baseline, ceiling, kassa }) => [
    scenario,
    String(baseline.requestsPerSecond),
    ceiling ? String(ceiling.requestsPerSecond) : '',
    ceiling ? `${ratio(ceiling, baseline).toFixed(2)}x` : '',
    String(kassa.requestsPerSecond),
    `${ratio(kassa, baseline).toFixed(2)}x`,
    ceiling ? `${((ratio(kassa, baseline) / ratio(ceiling, baseline)) * 100).toFixed(0)}%` : '',
    String(kassa.p50Ms),
    String(kassa.p99Ms),
    String(kassa.errors),
    kassa.cpuMicrosPerRequest === undefined ? '' : String(kassa.cpuMicrosPerRequest),
    kassa.cpuMicrosPerPayment === undefined ? '' : String(kassa.cpuMicrosPerPayment),
    String(kassa.bytesPerResponse),
  ]);
  return markdown(head, body);
}

export function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
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

/** pay-hooked against pay, both Kassa, same run: what a configured webhook endpoint costs. */
export function webhookTargets(rows: Row[]): Target[] {
  const pay = rows.find((r) => r.scenario === 'pay');
  const hooked = rows.find((r) => r.scenario === 'pay-hooked');
  const again = rows.find((r) => r.scenario === 'pay-again');
  if (!pay || !hooked) return [];
  // pay-hooked runs between pay and pay-again: compared with their mean, the database's growth cancels out.
  const without = again ? (pay.kassa.requestsPerSecond + again.kassa.requestsPerSecond) / 2 : pay.kassa.requestsPerSecond;
  const share = hooked.kassa.requestsPerSecond / without;
  return [
    {
      what: `pay-hooked: ${(share * 100).toFixed(0)}% of pay's throughput${again ? ' (mean of pay and pay-again)' : ''} with a webhook endpoint (target >= ${WEBHOOK_SHARE * 100}%)`,
      met: share >= WEBHOOK_SHARE,
    },
    { what: `pay-hooked: ${hooked.kassa.errors} non-2xx or failed (target 0)`, met: hooked.kassa.errors === 0 },
  ];
}
