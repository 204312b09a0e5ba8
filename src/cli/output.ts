// How the `kassa` command writes: JSON alone with --json (for scripts), aligned columns otherwise.

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell; an empty list says so instead of printing a bare header. */
export function printTable(io: Io, headers: string[], rows: string[][], empty: string): void {
  if (rows.length === 0) {
    io.out(`${empty}\n`);
    return;
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  io.out(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}

export const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
