// Task ids: 22 characters in shortuuid's base-57 alphabet, like the seed's ids, but time-ordered
// (48-bit milliseconds + 80 random bits, monotonic within a process, as ULID does) so that
// ordering by id breaks ties between tasks created in the same millisecond in creation order.
// The 128-bit value is kept as 16 bytes and encoded by long division on 32-bit limbs: no BigInt,
// which made id generation a visible cost of bulk inserts.
import { randomFillSync } from 'node:crypto';

// The shortuuid alphabet is in ASCII order, so fixed-width strings sort like the numbers they encode.
const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const BASE = ALPHABET.length;
export const ID_LENGTH = 22;
const TWO_32 = 2 ** 32;

let lastMillis = -1;
const value = Buffer.alloc(16); // bytes 0-5: milliseconds, 6-15: random (big-endian)

/** Adds one to the 80-bit random part, wrapping like ULID's monotonic counter. */
function incrementRandom(): void {
  for (let i = 15; i >= 6; i--) {
    value[i] = (value[i] + 1) & 0xff;
    if (value[i] !== 0) return;
  }
}

function encode(bytes: Buffer): string {
  const limbs = [bytes.readUInt32BE(0), bytes.readUInt32BE(4), bytes.readUInt32BE(8), bytes.readUInt32BE(12)];
  const chars = new Array<string>(ID_LENGTH);
  for (let position = ID_LENGTH - 1; position >= 0; position--) {
    let remainder = 0;
    for (let i = 0; i < 4; i++) {
      const current = remainder * TWO_32 + limbs[i]; // < 57 * 2^32: exact in a double
      limbs[i] = Math.floor(current / BASE);
      remainder = current - limbs[i] * BASE;
    }
    chars[position] = ALPHABET[remainder];
  }
  return chars.join('');
}

/** A new id; later calls in this process always give larger ids. */
export function newTaskId(now: number = Date.now()): string {
  if (now <= lastMillis) {
    // Same (or a backwards-stepped) millisecond: count up from the last id to keep the order.
    incrementRandom();
  } else {
    lastMillis = now;
    value.writeUIntBE(now, 0, 6);
    randomFillSync(value, 6, 10);
  }
  return encode(value);
}

/**
 * The smallest id of millisecond `ms`: every task created at `ms` or later has an id at least this,
 * every task created before has a smaller one. Turns a range of creation times into a range of ids,
 * which the primary key serves.
 */
export function idAt(ms: number): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Math.max(0, Math.min(Math.floor(ms), 2 ** 48 - 1)), 0, 6);
  return encode(bytes);
}

const ID_PATTERN = new RegExp(`^[${ALPHABET}]{${ID_LENGTH}}$`);

/** True when `id` has the shape of a task id (any 22 characters of the alphabet, as the seed's). */
export function isTaskId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}
