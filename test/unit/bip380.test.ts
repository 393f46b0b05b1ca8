// BIP-380: descriptor checksums and key-origin syntax, from the BIP's own test vectors.
import { describe, expect, it } from 'vitest';
import { descriptorChecksum, verifyChecksum } from '../../src/bitcoin/descriptorChecksum.js';
import { parseKeyOrigin } from '../../src/bitcoin/keyExpression.js';
import { isKuraError } from '../../src/errors.js';
import { mediawikiItems, vectorText } from '../helpers/vectors.js';

const items = mediawikiItems(vectorText('bip380.mediawiki.txt'));
const checksumCases = items.filter((i) => i.section.startsWith('The following tests cover the checksum'));

describe('BIP-380 checksum vectors', () => {
  it('finds all eight checksum cases in the vector file', () => {
    expect(checksumCases.map((c) => c.description)).toHaveLength(8);
  });

  it('accepts the valid checksum and computes it', () => {
    const valid = checksumCases.find((c) => c.description === 'Valid checksum');
    expect(valid?.value).toBe('raw(deadbeef)#89f8spxm');
    expect(verifyChecksum(valid?.value ?? '')).toBe('raw(deadbeef)');
    expect(descriptorChecksum('raw(deadbeef)')).toBe('89f8spxm');
  });

  it('accepts "No checksum" only where a checksum is optional', () => {
    const none = checksumCases.find((c) => c.description === 'No checksum');
    expect(verifyChecksum(none?.value ?? '', false)).toBe('raw(deadbeef)');
    expect(() => verifyChecksum(none?.value ?? '', true)).toThrowError(
      expect.objectContaining({ code: 'DESCRIPTOR_CHECKSUM_INVALID' }),
    );
  });

  const invalid = checksumCases.filter((c) => !['Valid checksum', 'No checksum'].includes(c.description));
  it.each(invalid)('refuses $description: $value', ({ value }) => {
    let error: unknown;
    try {
      verifyChecksum(value);
    } catch (e) {
      error = e;
    }
    expect(isKuraError(error)).toBe(true);
    expect(['DESCRIPTOR_CHECKSUM_INVALID', 'DESCRIPTOR_MALFORMED']).toContain(
      (error as { code: string }).code,
    );
  });
});

describe('BIP-380 key origin vectors', () => {
  const originOf = (value: string) => /^\[([^\]]*)\]/.exec(value)?.[1];
  const valid = items.filter((i) => i.section === 'Valid expressions:' && originOf(i.value) !== undefined);
  const invalid = items.filter(
    (i) =>
      i.section === 'Invalid expression:' &&
      /^\[[^\]]*\]/.test(i.value) &&
      !i.value.startsWith('[aaaaaaaa]['),
  );

  it('has origin cases on both sides', () => {
    expect(valid.length).toBeGreaterThanOrEqual(5);
    expect(invalid.length).toBeGreaterThanOrEqual(7);
  });

  it.each(valid)('parses the origin of $description', ({ value }) => {
    const origin = parseKeyOrigin(originOf(value) ?? '', 'key');
    expect(origin.fingerprint).toBe('deadbeef');
  });

  it.each(invalid.filter((i) => i.description !== 'Key origin with no public key'))(
    'refuses the origin of $description',
    ({ value }) => {
      expect(() => parseKeyOrigin(originOf(value) ?? '', 'key')).toThrowError(
        expect.objectContaining({ code: 'DESCRIPTOR_MALFORMED' }),
      );
    },
  );
});
