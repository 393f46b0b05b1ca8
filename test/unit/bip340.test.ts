// BIP-340 Schnorr signatures, which officers use for approvals: every row of the official test
// vectors (test/vectors/bip340-test-vectors.csv, verbatim from bitcoin/bips) through the curve
// library kura uses (src/bitcoin/ecc.ts).
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { vectorText } from '../helpers/vectors.js';

interface Row {
  readonly index: number;
  readonly secretKey: string;
  readonly publicKey: string;
  readonly auxRand: string;
  readonly message: string;
  readonly signature: string;
  readonly valid: boolean;
  readonly comment: string;
}

function rows(): Row[] {
  const lines = vectorText('bip340-test-vectors.csv').split(/\r?\n/);
  expect(lines[0]).toBe('index,secret key,public key,aux_rand,message,signature,verification result,comment');
  return lines
    .slice(1)
    .filter((line) => line !== '')
    .map((line) => {
      // The comment is the last column and holds no commas.
      const [index, secretKey, publicKey, auxRand, message, signature, result, comment] = line.split(',');
      expect(result === 'TRUE' || result === 'FALSE', `row ${index} result`).toBe(true);
      return {
        index: Number(index),
        secretKey: (secretKey ?? '').toLowerCase(),
        publicKey: (publicKey ?? '').toLowerCase(),
        auxRand: (auxRand ?? '').toLowerCase(),
        message: (message ?? '').toLowerCase(),
        signature: (signature ?? '').toLowerCase(),
        valid: result === 'TRUE',
        comment: comment ?? '',
      };
    });
}

/** tiny-secp256k1 throws on a public key off the curve or a signature half ≥ n: that is "invalid". */
function verifies(row: Row): boolean {
  try {
    return ecc.verifySchnorr(hexToBytes(row.message), hexToBytes(row.publicKey), hexToBytes(row.signature));
  } catch {
    return false;
  }
}

describe('BIP-340 test vectors', () => {
  const all = rows();

  it('has every row of the published file', () => {
    expect(all.map((r) => r.index)).toEqual([...Array(15).keys()]);
    expect(all.filter((r) => r.secretKey !== '')).toHaveLength(4);
  });

  it.each(all.filter((r) => r.secretKey !== '').map((r) => [r.index, r] as const))(
    'row %i: the secret key gives the public key and, with aux_rand, the signature',
    (_, row) => {
      const key = hexToBytes(row.secretKey);
      expect(bytesToHex(ecc.xOnlyPointFromScalar(key))).toBe(row.publicKey);
      const signature = ecc.signSchnorr(hexToBytes(row.message), key, hexToBytes(row.auxRand));
      expect(bytesToHex(signature)).toBe(row.signature);
    },
  );

  it.each(all.map((r) => [r.index, r.valid ? 'valid' : `invalid: ${r.comment}`, r] as const))(
    'row %i verifies as expected (%s)',
    (_, __, row) => {
      expect(verifies(row)).toBe(row.valid);
    },
  );
});
