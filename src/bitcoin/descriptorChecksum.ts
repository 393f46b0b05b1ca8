// BIP-380 descriptor checksums. The checksum is typo protection only: 40 bits can be collided,
// so it never authenticates a wallet (THREATS.md #19); registration is the operator's check.
//
// Written here rather than imported: the only packaged implementation on the registry ships a
// whole miniscript engine with ten peer dependencies, too much to put on an air-gapped signer for
// one small BCH code. It is checked against every BIP-380 test vector (test/vectors/bip380*).
import { KuraError } from '../errors.js';

// Character groups and generator constants are those of BIP-380, "Checksum".
const INPUT_CHARSET =
  "0123456789()[],'/*abcdefgh@:$%{}" +
  'IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~' +
  'ijklmnopqrstuvwxyzABCDEFGH`#"\\ ';
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn];
const LOW_35_BITS = 0x7ffffffffn;

function polymod(symbols: readonly number[]): bigint {
  let chk = 1n;
  for (const value of symbols) {
    const top = chk >> 35n;
    chk = ((chk & LOW_35_BITS) << 5n) ^ BigInt(value);
    for (let i = 0; i < 5; i++) {
      if ((top >> BigInt(i)) & 1n) chk ^= GENERATOR[i] as bigint;
    }
  }
  return chk;
}

/** Maps a descriptor to checksum symbols; undefined when a character is outside the charset. */
function expand(descriptor: string): number[] | undefined {
  const symbols: number[] = [];
  let groups: number[] = [];
  for (const ch of descriptor) {
    const v = INPUT_CHARSET.indexOf(ch);
    if (v < 0) return undefined;
    symbols.push(v & 31);
    groups.push(v >> 5);
    if (groups.length === 3) {
      symbols.push((groups[0] as number) * 9 + (groups[1] as number) * 3 + (groups[2] as number));
      groups = [];
    }
  }
  if (groups.length === 1) symbols.push(groups[0] as number);
  else if (groups.length === 2) symbols.push((groups[0] as number) * 3 + (groups[1] as number));
  return symbols;
}

/** The 8-character checksum of a descriptor body (without `#`). */
export function descriptorChecksum(body: string): string {
  const symbols = expand(body);
  if (symbols === undefined) {
    throw new KuraError('DESCRIPTOR_MALFORMED', 'descriptor contains a character outside the BIP-380 set', {
      field: 'descriptor',
    });
  }
  const value = polymod([...symbols, 0, 0, 0, 0, 0, 0, 0, 0]) ^ 1n;
  let out = '';
  for (let i = 0; i < 8; i++) out += CHECKSUM_CHARSET[Number((value >> BigInt(5 * (7 - i))) & 31n)];
  return out;
}

export function withChecksum(body: string): string {
  return `${body}#${descriptorChecksum(body)}`;
}

/**
 * Splits `body#checksum` and verifies the checksum. With `requireChecksum` false a descriptor
 * without one is accepted (as Bitcoin Core does for some calls); a wrong one never is.
 */
export function verifyChecksum(descriptor: string, requireChecksum = true): string {
  const hashAt = descriptor.indexOf('#');
  if (hashAt < 0) {
    if (requireChecksum) {
      throw new KuraError('DESCRIPTOR_CHECKSUM_INVALID', 'descriptor has no #checksum', {
        field: 'descriptor',
      });
    }
    descriptorChecksum(descriptor); // still refuses characters outside the charset
    return descriptor;
  }
  const body = descriptor.slice(0, hashAt);
  const given = descriptor.slice(hashAt + 1);
  if (given.length !== 8) {
    throw new KuraError('DESCRIPTOR_CHECKSUM_INVALID', 'descriptor checksum must be 8 characters', {
      field: 'descriptor',
      checksum: given,
    });
  }
  const symbols = expand(body);
  const checksumSymbols = [...given].map((c) => CHECKSUM_CHARSET.indexOf(c));
  if (symbols === undefined) {
    throw new KuraError('DESCRIPTOR_MALFORMED', 'descriptor contains a character outside the BIP-380 set', {
      field: 'descriptor',
    });
  }
  if (checksumSymbols.some((s) => s < 0) || polymod([...symbols, ...checksumSymbols]) !== 1n) {
    throw new KuraError('DESCRIPTOR_CHECKSUM_INVALID', 'descriptor checksum does not match', {
      field: 'descriptor',
      checksum: given,
    });
  }
  return body;
}
