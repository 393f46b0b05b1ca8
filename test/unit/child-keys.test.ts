// ChildKeyDeriver must give exactly bip32's children (public and private) for any parent and
// index: it only moves where the work happens (childKeys.ts).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ChildKeyDeriver } from '../../src/bitcoin/childKeys.js';
import { bip32 } from '../../src/bitcoin/ecc.js';
import { HARDENED } from '../../src/bitcoin/keyExpression.js';

const seed = fc.uint8Array({ minLength: 16, maxLength: 64 });
const index = fc.integer({ min: 0, max: HARDENED - 1 });

describe('ChildKeyDeriver', () => {
  it('derives the same public and private children as bip32', () => {
    fc.assert(
      fc.property(seed, fc.array(index, { minLength: 1, maxLength: 5 }), (s, indices) => {
        const parent = bip32.fromSeed(s).derive(7);
        const publicParent = bip32.fromPublicKey(parent.publicKey, parent.chainCode);
        const fromPublic = new ChildKeyDeriver(publicParent);
        const fromPrivate = new ChildKeyDeriver(parent);
        for (const i of indices) {
          const expected = parent.derive(i);
          expect(bytesToHex(fromPublic.publicChild(i))).toBe(bytesToHex(expected.publicKey));
          const privateKey = fromPrivate.privateChild(parent.privateKey as Uint8Array, i);
          expect(bytesToHex(privateKey)).toBe(bytesToHex(expected.privateKey as Uint8Array));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a hardened or negative index instead of deriving something else', () => {
    const deriver = new ChildKeyDeriver(bip32.fromSeed(new Uint8Array(32).fill(1)));
    expect(() => deriver.publicChild(HARDENED)).toThrow(RangeError);
    expect(() => deriver.publicChild(-1)).toThrow(RangeError);
    expect(() => deriver.publicChild(1.5)).toThrow(RangeError);
  });
});
