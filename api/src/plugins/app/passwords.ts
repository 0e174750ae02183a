/**
 * Password hashing with argon2id (m=19456 KiB, t=2, p=1). Each hash takes ~20 MiB and ~60-100 ms of CPU, so
 * at most a few run at once; the rest wait their turn instead of exhausting memory under a login flood.
 *
 * The cost is in each hash's PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`), so verifying never depends on
 * the cost in force: a hash made at any cost verifies at any other.
 */
import argon2 from 'argon2';

/** The product's cost, the only one it ever hashes with. */
export const PRODUCTION_HASH_COST = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** A cheap cost for the test suite: the same algorithm, ~1 ms instead of ~60 ms of CPU a hash. */
const TEST_HASH_COST = { memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;

let hashCost: { memoryCost: number; timeCost: number; parallelism: number } = PRODUCTION_HASH_COST;

/**
 * Lowers the hashing cost for the rest of this process: called by the test suite's setup file
 * (test/setup.ts) and nowhere else. No setting or environment variable of the product reaches it, and it
 * refuses to run outside vitest (which sets VITEST in its workers), so a stray call in product code fails
 * loudly instead of weakening stored hashes.
 */
export function useTestHashCost(): void {
  if (process.env.VITEST !== 'true') throw new Error('useTestHashCost is for the test suite only');
  hashCost = TEST_HASH_COST;
}

/** Runs at most `limit` tasks at a time, in arrival order. */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  constructor(limit: number) {
    this.#limit = limit;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active += 1;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active -= 1;
    }
  }
}

const hashing = new Semaphore(2);

/** argon2id hash of `password` (PHC string with its own salt and parameters). */
export function hashPassword(password: string): Promise<string> {
  return hashing.run(() => argon2.hash(password, { type: argon2.argon2id, ...hashCost }));
}

/** True when `password` matches `hash`; false for a mismatch or a malformed hash. */
export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return hashing.run(async () => {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  });
}

let dummyHash: Promise<string> | undefined;

/** Computes the throwaway hash ahead of the first login, so that login is not slower than the others. */
export async function prepareDummyHash(): Promise<void> {
  dummyHash ??= hashPassword('complywise-timing-equaliser');
  await dummyHash;
}

/**
 * Verifies against a throwaway hash, for unknown e-mails: the answer then takes as long as for a known
 * e-mail with a wrong password, so timing does not reveal which e-mails have accounts.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await prepareDummyHash();
  await verifyPassword(await dummyHash!, password);
  return false;
}
