// BIP-383 sortedmulti: kura's script builder on the BIP's sortedmulti vectors, and kura's parser
// refusing the descriptors that are not kura wallets.
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { sortedMultisigScript } from '../../src/bitcoin/addresses.js';
import { parseMultisigDescriptor } from '../../src/bitcoin/descriptor.js';
import { withChecksum } from '../../src/bitcoin/descriptorChecksum.js';
import { bip32 } from '../../src/bitcoin/ecc.js';
import { vectorText } from '../helpers/vectors.js';

interface Case {
  descriptor: string;
  scripts: string[];
}

function parse(text: string): { valid: Case[]; invalid: { description: string; descriptor: string }[] } {
  const valid: Case[] = [];
  const invalid: { description: string; descriptor: string }[] = [];
  let inInvalid = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('Invalid descriptors')) inInvalid = true;
    const top = /^\* (?:(.*): )?<tt>(.*)<\/tt>/.exec(line);
    const script = /^\*\* <tt>([0-9a-f]+)<\/tt>/.exec(line);
    if (top && inInvalid) invalid.push({ description: top[1] ?? '', descriptor: top[2] ?? '' });
    else if (top) valid.push({ descriptor: top[2] ?? '', scripts: [] });
    else if (script) valid.at(-1)?.scripts.push(script[1] ?? '');
  }
  return { valid, invalid };
}

const { valid, invalid } = parse(vectorText('bip383.mediawiki.txt'));
const sortedCases = valid.filter((c) => c.descriptor.startsWith('sortedmulti('));

/** Public key of a BIP-383 key expression (hex key, or xpub with a path ending in `*`) at `index`. */
function keyAt(expression: string, index: number): Uint8Array {
  if (/^0[234]/.test(expression)) return hexToBytes(expression);
  const [xpub, ...steps] = expression.split('/');
  const path = steps.map((s) => (s === '*' ? index : Number(s)));
  return path.reduce((n, step) => n.derive(step), bip32.fromBase58(xpub ?? '')).publicKey;
}

describe('BIP-383 sortedmulti vectors', () => {
  it('finds the sortedmulti cases', () => expect(sortedCases.length).toBe(2));

  it.each(sortedCases)('$descriptor', ({ descriptor, scripts }) => {
    const inner = /^sortedmulti\((\d+),(.*)\)$/.exec(descriptor);
    const threshold = Number(inner?.[1]);
    const keys = (inner?.[2] ?? '').split(',');
    scripts.forEach((expected, index) => {
      const script = sortedMultisigScript(
        threshold,
        keys.map((k) => keyAt(k, index)),
      );
      expect(bytesToHex(script)).toBe(expected);
    });
  });

  it.each(valid.filter((c) => !c.descriptor.startsWith('sortedmulti(')))(
    'refuses non-kura descriptor $descriptor',
    ({ descriptor }) => {
      expect(() => parseMultisigDescriptor(withChecksum(descriptor), 'mainnet')).toThrowError(
        expect.objectContaining({ code: 'DESCRIPTOR_UNSUPPORTED' }),
      );
    },
  );

  it.each(invalid)('refuses invalid: $description', ({ descriptor }) => {
    expect(() => parseMultisigDescriptor(withChecksum(descriptor), 'mainnet')).toThrowError(
      expect.objectContaining({ code: 'DESCRIPTOR_UNSUPPORTED' }),
    );
  });
});
