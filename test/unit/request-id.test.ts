// Request ids come from a pool of random bytes refilled 128 ids at a time: across refills every id
// is 64 lowercase hex digits, none repeats, and none is the pool's untouched zero bytes.
import { describe, expect, it } from 'vitest';
import { newRequestId } from '../../src/coordinator/intake/requestId.js';

describe('newRequestId', () => {
  it('gives distinct 32-byte hex ids across several refills of its pool', () => {
    const ids = Array.from({ length: 1000 }, () => newRequestId());
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(id).not.toBe('0'.repeat(64));
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Each 4-bit digit value turns up about 1000 * 64 / 16 = 4000 times; a bias of pool handling
    // (a reused or zeroed slice) would push some digit far outside this band.
    const counts = new Map<string, number>();
    for (const digit of ids.join('')) counts.set(digit, (counts.get(digit) ?? 0) + 1);
    expect(counts.size).toBe(16);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(3500);
      expect(count).toBeLessThan(4500);
    }
  });
});
