// Task ids: 22 characters in shortuuid's base-57 alphabet, like the seed's ids, but time-ordered
// (48-bit milliseconds + 80 random bits, monotonic within a process, as ULID does) so that
// ordering by id breaks ties between tasks created in the same millisecond in creation order.
import { randomBytes } from 'node:crypto';

// The shortuuid alphabet is in ASCII order, so fixed-width strings sort like the numbers they encode.
const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const BASE = BigInt(ALPHABET.length);
export const ID_LENGTH = 22;
const RANDOM_BITS = 80n;
const RANDOM_MASK = (1n << RANDOM_BITS) - 1n;

let lastMillis = -1;
let lastRandom = 0n;

function encode(value: bigint): string {
  const chars = new Array<string>(ID_LENGTH);
  for (let i = ID_LENGTH - 1; i >= 0; i--) {
    chars[i] = ALPHABET[Number(value % BASE)];
    value /= BASE;
  }
  return chars.join('');
}

/** A new id; later calls in this process always give larger ids. */
export function newTaskId(now: number = Date.now()): string {
  let random: bigint;
  if (now <= lastMillis) {
    // Same (or a backwards-stepped) millisecond: count up from the last id to keep the order.
    random = (lastRandom + 1n) & RANDOM_MASK;
    now = lastMillis;
  } else {
    random = BigInt('0x' + randomBytes(10).toString('hex'));
  }
  lastMillis = now;
  lastRandom = random;
  return encode((BigInt(now) << RANDOM_BITS) | random);
}

const ID_PATTERN = new RegExp(`^[${ALPHABET}]{${ID_LENGTH}}$`);

/** True when `id` has the shape of a task id (any 22 characters of the alphabet, as the seed's). */
export function isTaskId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}
