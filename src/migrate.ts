// Process entry for `npm run migrate`: read config, apply pending migrations, exit.
import { ConfigError, loadConfig } from './config.ts';
import { runMigrations } from './storage/migrate.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`kassa: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const { engine } = await runMigrations(config);
  process.stdout.write(`kassa: ${engine} schema is up to date\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`kassa: migrate failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
