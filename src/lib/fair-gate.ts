// At most `perOwner` tasks of one owner and `total` in all run at once; waiting tasks start in turn
// by owner (round robin), so one owner's backlog never stands in front of another owner's first task.
// The API keys' scrypt hashes run through one, owned by client address (merchants/merchants.ts): a
// flood of wrong keys from one address uses one slot, and a real key from elsewhere takes the next.

interface Waiting {
  start: () => void;
}

export class FairGate {
  private running = 0;
  private readonly active = new Map<string, number>();
  /** Owners with waiting tasks, in the order they get their next turn. */
  private readonly queues = new Map<string, Waiting[]>();

  constructor(
    private readonly perOwner: number,
    private readonly total: number,
  ) {}

  /** Runs `task` once `owner` may; its result is the task's. */
  run<T>(owner: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running++;
        this.active.set(owner, (this.active.get(owner) ?? 0) + 1);
        let result: Promise<T>;
        try {
          result = task();
        } catch (error) {
          result = Promise.reject(error);
        }
        // The slot is free before the caller hears the result.
        result.then(
          (value) => {
            this.done(owner);
            resolve(value);
          },
          (error: unknown) => {
            this.done(owner);
            reject(error);
          },
        );
      };
      const queue = this.queues.get(owner);
      if (queue === undefined && this.mayStart(owner)) start();
      else if (queue) queue.push({ start });
      else this.queues.set(owner, [{ start }]);
    });
  }

  /** Tasks running now and waiting now (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    let waiting = 0;
    for (const q of this.queues.values()) waiting += q.length;
    return { running: this.running, waiting };
  }

  private mayStart(owner: string): boolean {
    return this.running < this.total && (this.active.get(owner) ?? 0) < this.perOwner;
  }

  private done(owner: string): void {
    this.running--;
    const left = this.active.get(owner)! - 1;
    if (left === 0) this.active.delete(owner);
    else this.active.set(owner, left);
    // The owner that just had a turn goes to the back of the line; the first in line that may start goes next.
    const own = this.queues.get(owner);
    if (own) {
      this.queues.delete(owner);
      this.queues.set(owner, own);
    }
    for (const [next, queue] of this.queues) {
      if (this.running >= this.total) return;
      if (!this.mayStart(next)) continue;
      const waiting = queue.shift()!;
      this.queues.delete(next);
      if (queue.length > 0) this.queues.set(next, queue);
      waiting.start();
    }
  }
}
