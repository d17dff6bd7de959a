import { Caller } from './caller';

interface VerifiedToken {
  caller: Caller;
  /** Epoch milliseconds after which the token must be verified again. */
  validUntil: number;
}

/**
 * Remembers tokens whose signature and claims were checked, so a client
 * that sends the same token with every request of a burst is not verified
 * every time. A token is remembered until its `exp`, and for `maxAgeMs` at
 * most. The key is the exact token text, so no other token can match it.
 */
export class VerifiedTokens {
  private readonly tokens = new Map<string, VerifiedToken>();

  constructor(
    private readonly maxAgeMs = 60_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns the caller of a token verified before and not yet expired. */
  find(token: string): Caller | undefined {
    const entry = this.tokens.get(token);
    if (!entry) {
      return undefined;
    }
    if (this.now() >= entry.validUntil) {
      this.tokens.delete(token);
      return undefined;
    }
    return entry.caller;
  }

  /** Remembers a verified token. `expiresAt` is its `exp` claim in epoch seconds, if it has one. */
  remember(token: string, caller: Caller, expiresAt: number | undefined): void {
    const now = this.now();
    const validUntil = Math.min(now + this.maxAgeMs, expiresAt === undefined ? Infinity : expiresAt * 1000);
    if (validUntil <= now) {
      return;
    }
    this.tokens.set(token, { caller, validUntil });
    // A Map keeps insertion order: drop the tokens remembered first.
    for (const key of this.tokens.keys()) {
      if (this.tokens.size <= this.maxEntries) {
        break;
      }
      this.tokens.delete(key);
    }
  }
}
