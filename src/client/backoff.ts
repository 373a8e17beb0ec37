/**
 * Retransmission timers of RFC 5080 §2.2.1 (after RFC 3315 §14): the first timeout is IRT, each
 * later one doubles, is capped at MRT, and all carry ±10% of random jitter, so that requests that
 * timed out together (a burst the server dropped) are not sent again together. The count (MRC) and
 * the total duration (MRD) are enforced by the caller.
 *
 *   RT = IRT + RAND*IRT;  RT = 2*RTprev + RAND*RTprev;  if RT > MRT: RT = MRT + RAND*MRT
 */

/**
 * RAND in [-0.1, 0.1], in steps of 0.01. Twenty-one values spread a burst as well as a continuous
 * draw would, and keep the number of distinct delays the deadline scheduler sees small.
 */
export function jitter(): number {
  return (Math.floor(Math.random() * 21) - 10) / 100;
}

/** The first retransmission timeout, in ms: IRT + RAND*IRT, at most MRT + RAND*MRT. */
export function initialTimeout(irtMs: number, mrtMs: number, rand = jitter()): number {
  const base = Math.min(irtMs, mrtMs);
  return base + rand * base;
}

/** The timeout after one of `previousMs`: 2*RTprev + RAND*RTprev, or MRT + RAND*MRT past MRT. */
export function nextTimeout(previousMs: number, mrtMs: number, rand = jitter()): number {
  const rt = 2 * previousMs + rand * previousMs;
  return rt > mrtMs ? mrtMs + rand * mrtMs : rt;
}
