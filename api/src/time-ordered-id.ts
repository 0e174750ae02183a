/**
 * Time-ordered UUIDs (RFC 9562 version 7) for rows written in bulk. A random (version 4) id puts each new row
 * of an index led by it on a random leaf page, so a scan's 250k findings touched the whole primary key and
 * left its pages half full; ids that grow with time all land on the right edge of the index, as a sequence
 * would. PostgreSQL 15 has no uuidv7(), so the ids are made here.
 *
 * Layout: 48 bits of Unix milliseconds, the version, the counter's top 12 bits, the variant, its low 30 bits,
 * 32 random bits. The counter starts at a random value (top bit clear, so it has room to grow) each new millisecond and
 * increases by one per id within it, which keeps the ids of one process strictly increasing even when
 * thousands are made in the same millisecond (method 1 of the RFC's section 6.2). If the clock goes back, the
 * ids stay in the last millisecond and the counter goes on; if the counter overflows, the millisecond moves on. Ids of different processes made in the same
 * millisecond differ by their random counter start and random tail, as two version 4 ids would.
 */
import { randomBytes } from 'node:crypto';

const COUNTER_BITS = 42;
const COUNTER_LIMIT = 2 ** COUNTER_BITS;

let lastMs = -Infinity;
let counter = 0;

/** A fresh counter start: random, below half the counter's range. */
function randomCounterStart(): number {
  // 41 random bits (the top one of the 42 clear): exact in a double.
  return randomBytes(6).readUIntBE(0, 6) % 2 ** (COUNTER_BITS - 1);
}

/** `count` version 7 UUIDs, each greater than every one this process made before it. */
export function timeOrderedIds(count: number): string[] {
  const ids = new Array<string>(count);
  // Bytes 12-15 of each id stay random; the rest is written below.
  const bytes = randomBytes(16 * count);
  for (let i = 0, at = 0; i < count; i++, at += 16) {
    const now = Date.now();
    if (now > lastMs) {
      lastMs = now;
      counter = randomCounterStart();
    } else if (++counter >= COUNTER_LIMIT) {
      lastMs += 1;
      counter = randomCounterStart();
    }
    bytes.writeUIntBE(lastMs, at, 6);
    // The counter's top 12 bits follow the version nibble; its low 30 bits follow the variant's two bits.
    const high = Math.floor(counter / 2 ** 30);
    const low = counter % 2 ** 30;
    bytes.writeUInt16BE(0x7000 | high, at + 6);
    bytes.writeUInt32BE((0x80000000 | low) >>> 0, at + 8);
    const hex = bytes.toString('hex', at, at + 16);
    ids[i] =
      `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  return ids;
}

/** One time-ordered UUID. */
export function timeOrderedId(): string {
  return timeOrderedIds(1)[0]!;
}
