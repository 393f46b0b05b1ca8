// The two hashes the coordinator makes for every request (the audit entry's hash, from the data's
// JSON text, and the BIP-340 tagged request digest) use node:crypto for speed; they must be
// exactly the SHA-256 that @noble/hashes computes by the definitions, for any entry or message,
// call after call.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { entryHash, entryHashOfJson, GENESIS_HASH } from '../../src/artifacts/hashChain.js';
import { taggedHash } from '../../src/approvals/taggedHash.js';
import { isKuraError } from '../../src/errors.js';

/** Any entry of a chain: its data any JSON value. */
const anyEntry = fc.record({
  seq: fc.nat(),
  time: fc.nat(),
  type: fc.string({ unit: 'grapheme', maxLength: 40 }),
  data: fc.jsonValue(),
  prev: fc.stringMatching(/^[0-9a-f]{64}$/),
});

describe('hashes made with node:crypto', () => {
  it('entryHash is SHA-256 of [seq, time, type, data, prev] as JSON, for any entry', () => {
    fc.assert(
      fc.property(anyEntry, (entry) => {
        const json = JSON.stringify([entry.seq, entry.time, entry.type, entry.data, entry.prev]);
        expect(entryHash(entry)).toBe(bytesToHex(sha256(utf8ToBytes(json))));
      }),
      { numRuns: 300 },
    );
  });

  it('entryHashOfJson, over the data as JSON text, is entryHash of the parsed entry', () => {
    fc.assert(
      fc.property(anyEntry, ({ seq, time, type, data: value, prev }) => {
        // what the audit log stores: JSON text, and what an auditor parses back from it
        const dataJson = JSON.stringify(value);
        const data = JSON.parse(dataJson) as unknown;
        expect(entryHashOfJson(seq, time, type, dataJson, prev)).toBe(
          entryHash({ seq, time, type, data, prev }),
        );
      }),
      { numRuns: 300 },
    );
    let refused: unknown;
    try {
      entryHashOfJson(1.5, 0, 'note', '{}', GENESIS_HASH);
    } catch (error) {
      refused = error;
    }
    expect(isKuraError(refused) && refused.code).toBe('INTERNAL');
  });

  it('taggedHash is SHA-256(SHA-256(tag) ‖ SHA-256(tag) ‖ message), again and again', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('kura/request/v1', 'kura/approval/v1', 'BIP0340/challenge'),
        fc.uint8Array({ maxLength: 300 }),
        (tag, message) => {
          const tagHash = sha256(utf8ToBytes(tag));
          const expected = bytesToHex(sha256(concatBytes(tagHash, tagHash, message)));
          // twice: the cached prefix state must not be used up by the first call
          expect(bytesToHex(taggedHash(tag, message))).toBe(expected);
          expect(bytesToHex(taggedHash(tag, message))).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
