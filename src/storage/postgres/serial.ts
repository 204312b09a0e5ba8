// Changes to one aggregate made by this process wait for each other here, before taking a connection:
// across processes the row lock (SELECT … FOR UPDATE) serialises them, and without this queue every
// waiter would hold a pooled connection while it waits.
export class SerialQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const next = previous ? previous.then(work, work) : work();
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
