// A Store that times every call of every sub-store, whatever the engine: each call is reported to
// the metrics and added to the storage time of the request it runs in (Server-Timing).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Store } from './store.ts';

/** Storage time spent so far by one request. */
export interface StorageTiming {
  ms: number;
}

/** The running request's timing; set by the HTTP layer around each request. */
export const storageTiming = new AsyncLocalStorage<StorageTiming>();

export type StorageObserver = (operation: string, seconds: number) => void;

export function instrumentStore(store: Store, observe: StorageObserver): Store {
  // Every object-valued property is a sub-store (sessions, merchants, apiKeys, … and whatever an
  // engine or a later feature adds); each is wrapped once.
  const wrapped = new Map<string, object>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== 'string') return value;
      if (typeof value === 'object' && value !== null) {
        if (!wrapped.has(property)) wrapped.set(property, instrumentObject(value, property, observe));
        return wrapped.get(property);
      }
      // ping() is a storage round trip too; migrate() and close() are not per-request work.
      if (property === 'ping' && typeof value === 'function') return timed(value.bind(target), 'ping', observe);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function instrumentObject<T extends object>(target: T, prefix: string, observe: StorageObserver): T {
  // One timed wrapper per method, made on first use (not a bound function and a closure per call).
  const methods = new Map<string, unknown>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const known = methods.get(property) as { fn: unknown; wrapper: unknown } | undefined;
      if (known && known.fn === value) return known.wrapper;
      const wrapper = timed(value.bind(object), `${prefix}.${property}`, observe);
      methods.set(property, { fn: value, wrapper });
      return wrapper;
    },
  });
}

function timed(fn: (...args: unknown[]) => unknown, operation: string, observe: StorageObserver) {
  return (...args: unknown[]) => {
    const started = process.hrtime.bigint();
    const timing = storageTiming.getStore();
    const done = () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      observe(operation, ms / 1000);
      if (timing) timing.ms += ms;
    };
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
