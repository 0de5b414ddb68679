/** A sliding window: at most `limit` events per `windowMs`. */
export type RateLimit = { limit: number; windowMs: number };

/** Pure: may one more event happen, given how many fell inside the window ending now? */
export function allowsAnother({ countInWindow, limit }: { countInWindow: number; limit: RateLimit }): boolean {
  return countInWindow < limit.limit;
}

export function windowStart({ now, limit }: { now: Date; limit: RateLimit }): Date {
  return new Date(now.getTime() - limit.windowMs);
}
