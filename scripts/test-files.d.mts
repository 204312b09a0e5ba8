// Types for test-files.mjs (plain JS so that scripts/run-tests.mjs can use it).
export type Declared = readonly ('sqlite' | 'postgres')[] | 'in-file';
export const ENGINES: readonly ['sqlite', 'postgres'];
export function declaredEngines(text: string): Declared;
export function collectTestFiles(dir: string): string[];
export function declaredTestFiles(dir: string): { file: string; engines: Declared }[];
export function runsOn(declared: Declared, engine: 'sqlite' | 'postgres'): boolean;
export function shareOut(files: readonly string[], count: number, weight: (file: string) => number): string[][];
export function secondsPerFile(lines: string, cwd?: string): Record<string, number>;
