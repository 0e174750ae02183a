/**
 * Seeded sampling, reproducible by anyone holding the population and the seed: each resource is ranked by the
 * sha256 of `seed`, a newline and its id, and the sample is the `size` lowest ranks (all of them when the
 * population is smaller). Neither the database's order nor a random generator's implementation enters it.
 */
import { createHash, randomBytes } from 'node:crypto';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The resources drawn from `population` with `seed`, in the order drawn (lowest rank first). */
export function drawSample(population: readonly string[], seed: string, size: number): string[] {
  return population
    .map((id) => ({ id, rank: sha256(`${seed}\n${id}`) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.id < b.id ? -1 : 1))
    .slice(0, size)
    .map((r) => r.id);
}

/** The digest of a population: sha256 of its ids one a line, in id order, each line ending in a newline. */
export function populationDigest(population: readonly string[]): string {
  return sha256(
    [...population]
      .sort()
      .map((id) => `${id}\n`)
      .join(''),
  );
}

/** A seed for a request that brought none (recorded with the sample like a given one). */
export function newSeed(): string {
  return randomBytes(8).toString('hex');
}
