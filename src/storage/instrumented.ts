// Every storage call, timed for the kassa_storage_duration_seconds histogram, whatever the engine.
// The wrappers are made once, when the app is built (plain functions, no Proxy); each looks its
// method up when called, so a test may still replace one. Which request a call belongs to is the
// caller's business (lib/context.ts, timed()).
import type { Store } from './store.ts';

export type StorageObserver = (operation: string, seconds: number) => void;


export function instrumentStore(store: Store, observe: StorageObserver): Store {
  const out: Record<string, unknown> = { engine: store.engine };
  for (const name of Object.keys(store) as Array<keyof Store>) {
    const member = store[name] as unknown;
    if (typeof member === 'object' && member !== null) out[name] = instrumentObject(member, name, observe);
  }
  // Methods of the store itself live on its prototype; migrate and close are not per-request work.
  const call = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  out.commit = timed((...args) => call.commit!(...args), 'commit', observe);
  out.ping = timed(() => store.ping(), 'ping', observe);
  out.migrate = () => store.migrate();
  out.close = () => store.close();
  return out as unknown as Store;
}

function instrumentObject(target: object, prefix: string, observe: StorageObserver): object {
  const methods = target as Record<string, (...args: unknown[]) => unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    out[name] = typeof value === 'function' ? timed((...args) => methods[name]!(...args), `${prefix}.${name}`, observe) : value;
  }
  return out;
}

function timed(fn: (...args: unknown[]) => unknown, operation: string, observe: StorageObserver) {
  return (...args: unknown[]) => {
    const started = performance.now();
    const done = () => observe(operation, (performance.now() - started) / 1000);
    let result: unknown;
    try {
      result = fn(...args);
    } catch (error) {
      done();
      throw error;
    }
    if (result instanceof Promise) return result.finally(done);
    done();
    return result;
  };
}
