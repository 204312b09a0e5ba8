// Fills a database with `count` sessions of the benchmark's realistic shape, through the Store (so it
// works for every engine and goes through the same write path as the server). Runs while no server
// is using the database.
import type { DatabaseTarget } from '../src/config.ts';
import { newSessionId, sha256 } from '../src/lib/ids.ts';
import { DEFAULT_MERCHANT_ID } from '../src/merchants/merchants.ts';
import type { SessionData } from '../src/sessions/schemas.ts';
import { openStore } from '../src/storage/open.ts';
import { createBody } from './bodies.ts';

const CHUNK = 5_000;

export async function prefill(target: DatabaseTarget, count: number, onProgress: (done: number) => void): Promise<void> {
  const store = await openStore(target);
  try {
    await store.migrate();
    const now = Date.now();
    for (let done = 0; done < count; ) {
      const size = Math.min(CHUNK, count - done);
      await Promise.all(
        Array.from({ length: size }, (_, i) => {
          const n = done + i;
          const data = { ...createBody, orderId: `prefill-${n}` } as SessionData;
          return store.commit((uow) =>
            uow.sessions.insert({
              id: newSessionId(),
              merchantId: DEFAULT_MERCHANT_ID,
              accessTokenHash: sha256(`prefill-${n}-${now}`),
              data,
              version: 1,
              createdAt: now,
              updatedAt: now,
              expiresAt: now + 86_400_000,
            }),
          );
        }),
      );
      done += size;
      onProgress(done);
    }
  } finally {
    await store.close();
  }
}
