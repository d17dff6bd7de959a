import { WorkspaceContext } from './directory.repository';

interface Entry {
  /** When the read that produced the value started. */
  readAt: number;
  value: Promise<WorkspaceContext | null>;
  settled: boolean;
}

/**
 * Keeps what an end-user deletion request reads about its workspace (the
 * workspace, the caller's role, the admins) for a short time, so a burst of
 * requests from one workspace's automation reads it once. Requests that
 * arrive while a read is in flight share that read.
 *
 * The directory follows the platform's events with a delay, and on the
 * instances that did not handle an event the cache adds up to `ttlMs` to
 * it. The instance that handles a directory event calls `clear()`, so there
 * the change applies at once. A missing workspace is not kept, so a newly
 * created one is found as soon as its event is in. A TTL of 0 turns the
 * cache off.
 */
export class WorkspaceContextCache {
  private readonly entries = new Map<string, Entry>();
  /** Raised by `clear()`, so a read that started before it is not stored. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the workspace's context for the caller, from a read at most `ttlMs` old or from `read`. */
  get(reference: string, callerAccountId: string, read: () => Promise<WorkspaceContext | null>): Promise<WorkspaceContext | null> {
    if (this.ttlMs <= 0) {
      return read();
    }
    const key = `${reference}\u0000${callerAccountId}`;
    const startedAt = this.now();
    const cached = this.entries.get(key);
    if (cached && (!cached.settled || startedAt - cached.readAt < this.ttlMs)) {
      return cached.value;
    }
    const generation = this.generation;
    const entry: Entry = { readAt: startedAt, value: read(), settled: false };
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.evictOldest();
    entry.value.then(
      (value) => {
        entry.settled = true;
        if (value === null || generation !== this.generation) {
          this.forget(key, entry);
        }
      },
      () => this.forget(key, entry),
    );
    return entry.value;
  }

  /** Forgets every kept read. Call it once a directory change has committed. */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }

  private forget(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) {
      this.entries.delete(key);
    }
  }

  /** Drops the entries stored first (a Map keeps insertion order) beyond `maxEntries`. */
  private evictOldest(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) {
        return;
      }
      this.entries.delete(key);
    }
  }
}
