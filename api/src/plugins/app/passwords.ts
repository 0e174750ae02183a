/**
 * Password hashing with argon2id (m=19456 KiB, t=2, p=1). Each hash takes ~20 MiB and ~100 ms of CPU, so at
 * most a few run at once; the rest wait their turn instead of exhausting memory under a login flood.
 */
import argon2 from 'argon2';

const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

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
  return hashing.run(() => argon2.hash(password, ARGON2_OPTIONS));
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
