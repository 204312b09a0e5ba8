// KASSA_SEED at start (server.ts): the file applied after migrating and before listening. A bad file is
// a configuration mistake, named with its JSON paths (the server exits 2); what a seed made is logged,
// and what is shown only once (a made endpoint secret, a session's client token) goes to stderr, never
// to the log, as a generated API key does.
import type { Logger } from 'pino';
import { ConfigError } from '../../config.ts';
import { describeSeeded } from './describe.ts';
import { readSeedFile } from './file.ts';
import { applySeed, type SeedDeps } from './seed.ts';
import { SeedError } from './validate.ts';

export async function seedAtStart(path: string, deps: SeedDeps, logger: Logger): Promise<void> {
  try {
    const { merchants } = await applySeed(readSeedFile(path), deps);
    for (const m of merchants) {
      logger.info({ merchantId: m.id, created: m.created, apiKeys: m.apiKeys, savedCards: m.savedCards }, 'KASSA_SEED applied');
      if (m.webhookEndpoints.some((e) => e.secret) || m.sessions.some((s) => s.clientToken))
        process.stderr.write(`\nKASSA_SEED: ${describeSeeded(m)}\n`);
    }
  } catch (error) {
    if (error instanceof SeedError) throw new ConfigError(error.problems.map((p) => `KASSA_SEED ${p.path}: ${p.description}`));
    throw error;
  }
}
