// Seeds of the property tests: a fixed list (the same cases every run, so a regression shows at once)
// plus one seed drawn per run (new cases every run). Test names and failure messages carry the seed;
// `CALL_MODEL_SEED=<seed> npx vitest run packages/call-model` replays a run seed.
import { prng } from './remap.ts';

const fromEnv = Number(process.env.CALL_MODEL_SEED);

/** This run's extra seed (CALL_MODEL_SEED, else random; never one of the fixed seeds). */
export const RUN_SEED =
  Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 1_000_000 + Math.floor(Math.random() * 1_000_000_000);

/** Seeds 1…n and the run seed. */
export function seeds(n: number): number[] {
  return [...Array.from({ length: n }, (_, i) => i + 1), RUN_SEED];
}

/** A generator for (seed, case): different scenarios under one seed draw different cases. */
export function rngFor(seed: number, name: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return prng((Math.imul(seed, 0x9e3779b1) ^ h) >>> 0);
}
