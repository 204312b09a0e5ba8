// A value now or later. Storage reads are synchronous on SQLite and asynchronous on PostgreSQL, so
// the stores answer with either; callers `await` both. The request path's busiest steps use `then`
// instead, so a value that is already there costs no promise.

export type Awaitable<T> = T | Promise<T>;

/** `next(value)`, at once when `value` is already there, else once it is. */
export function then<T, R>(value: Awaitable<T>, next: (value: T) => Awaitable<R>): Awaitable<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
