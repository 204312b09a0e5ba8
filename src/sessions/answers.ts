// The answers GET /client-session gives, kept per session in this process: a read then costs one
// indexed lookup of the stored version instead of reading, parsing, rendering and serializing the
// session. An entry is used only while the stored version is still its version, so a change made by
// any process (or the CLI) is seen at once; a PATCH made here puts its own answer in.

export interface CachedAnswer {
  version: number;
  body: string;
  etag: string;
}

/** Sessions kept; past it the oldest entry goes. */
const CAPACITY = 10_000;

export class AnswerCache {
  private readonly entries = new Map<string, CachedAnswer>();

  get(accessTokenHash: string): CachedAnswer | undefined {
    return this.entries.get(accessTokenHash);
  }

  set(accessTokenHash: string, answer: CachedAnswer): void {
    const known = this.entries.get(accessTokenHash);
    // Two answers racing in: the newer version stays.
    if (known && known.version > answer.version) return;
    if (!known && this.entries.size >= CAPACITY) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(accessTokenHash, answer);
  }
}
