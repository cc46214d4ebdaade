/**
 * Delay before the next scheduled attempt of a delivery that failed `attempts` times (ms):
 * 1 s, 2 s, 4 s … capped at `capMs`, with ±20 % jitter so that many deliveries failing together
 * (upstream outage) do not come back in one burst.
 */
export function rescheduleDelayMs(attempts: number, capMs: number, random: () => number = Math.random): number {
  const base = Math.min(capMs, 1000 * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
  const jittered = base * (0.8 + 0.4 * random());
  return Math.max(1, Math.round(Math.min(capMs, jittered)));
}
