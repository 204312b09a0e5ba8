// Reading a seed file from disk: a file that cannot be read or is not JSON is refused like any other
// bad file, at the path `$`. Bounded, so a wrong path (a database, a log) is refused quickly.
import { readFileSync, statSync } from 'node:fs';
import { SeedError } from './validate.ts';

/** Largest seed file read: SEED_BOUNDS' worth of merchants with room to spare. */
export const SEED_FILE_MAX_BYTES = 4 * 1024 * 1024;

export function readSeedFile(path: string): unknown {
  let text: string;
  try {
    if (statSync(path).size > SEED_FILE_MAX_BYTES) {
      throw new SeedError([{ path: '$', description: `${path} is larger than ${SEED_FILE_MAX_BYTES / 1024 / 1024} MiB.` }]);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof SeedError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SeedError([{ path: '$', description: `${path} cannot be read (${code}).` }]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // Only where: the parser's message may quote the file, and the file may hold card numbers and secrets.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = position === undefined ? '' : ` (line ${lineOf(text, Number(position))})`;
    throw new SeedError([{ path: '$', description: `${path} is not valid JSON${where}.` }]);
  }
}

const lineOf = (text: string, position: number) => text.slice(0, position).split('\n').length;
