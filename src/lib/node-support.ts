// Which Node.js lines Kassa supports: the maintained LTS lines. Node 20 still runs it (a fresh machine
// may have nothing newer), with a warning at start once its line is past end of life.

/** End of life of each release line (nodejs.org/en/about/previous-releases), as UTC dates. */
const END_OF_LIFE: Record<number, string> = {
  18: '2025-04-30',
  19: '2023-06-01',
  20: '2026-04-30',
  21: '2024-06-01',
  22: '2027-04-30',
  23: '2025-06-01',
  24: '2028-04-30',
  25: '2026-06-01',
  26: '2029-04-30',
};

/** The lines Kassa is tested on (CI runs the machine's Node and the newest of these). */
export const SUPPORTED_LINES = [22, 24, 26] as const;

/** A one-line warning when `version` (process.version) is past its line's end of life at `now`; else undefined. */
export function endOfLifeWarning(version: string, now: number): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  const end = END_OF_LIFE[major];
  if (end === undefined || now < Date.parse(`${end}T00:00:00Z`)) return undefined;
  return `Node.js ${version} reached end of life on ${end}: it gets no security fixes. Run Kassa on a maintained LTS line (${SUPPORTED_LINES.join(', ')}).`;
}
