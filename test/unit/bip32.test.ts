// BIP-32 test vectors 1–5 through kura's injected BIP-32 (bip32 over tiny-secp256k1): every chain
// derives to the published keys, and every invalid key of vector 5 is refused.
import { describe, expect, it } from 'vitest';
import { hexToBytes } from '@noble/hashes/utils.js';
import { bip32 } from '../../src/bitcoin/ecc.js';
import { parseExtendedPublicKey, HARDENED } from '../../src/bitcoin/keyExpression.js';
import { masterFromSeed } from '../../src/keys/account.js';
import { vectorText } from '../helpers/vectors.js';

interface Chain {
  vector: number;
  seed: string;
  chain: string;
  xpub: string;
  xprv: string;
}

function parseVectors(text: string): { chains: Chain[]; invalid: { key: string; reason: string }[] } {
  const chains: Chain[] = [];
  const invalid: { key: string; reason: string }[] = [];
  let vector = 0;
  let seed = '';
  let current: Partial<Chain> = {};
  for (const line of text.split('\n')) {
    const heading = /^===Test vector (\d+)===/.exec(line);
    if (heading) vector = Number(heading[1]);
    const seedLine = /^Seed \(hex\): ([0-9a-f]+)/.exec(line);
    if (seedLine) seed = seedLine[1] ?? '';
    const chain = /^\* Chain (m[^ ]*)/.exec(line);
    if (chain) current = { vector, seed, chain: (chain[1] ?? '').replaceAll('<sub>H</sub>', 'H') };
    const pub = /^\*\* ext pub: (\w+)/.exec(line);
    if (pub) current.xpub = pub[1];
    const prv = /^\*\* ext prv: (\w+)/.exec(line);
    if (prv) {
      current.xprv = prv[1];
      chains.push(current as Chain);
    }
    const bad = /^\* ([1-9A-HJ-NP-Za-km-z]{100,}) \((.*)\)/.exec(line);
    if (vector === 5 && bad) invalid.push({ key: bad[1] ?? '', reason: bad[2] ?? '' });
  }
  return { chains, invalid };
}

const { chains, invalid } = parseVectors(vectorText('bip32.mediawiki.txt'));

function pathOf(chain: string): number[] {
  return chain
    .split('/')
    .slice(1)
    .map((step) => (step.endsWith('H') ? Number(step.slice(0, -1)) + HARDENED : Number(step)));
}

describe('BIP-32 vectors 1–4', () => {
  it('reads every chain of vectors 1 to 4', () => {
    expect(new Set(chains.map((c) => c.vector))).toEqual(new Set([1, 2, 3, 4]));
    expect(chains.length).toBeGreaterThanOrEqual(17);
  });

  it.each(chains)('vector $vector, chain $chain', ({ seed, chain, xpub, xprv }) => {
    const node = pathOf(chain).reduce(
      (n, step) => n.derive(step),
      masterFromSeed(hexToBytes(seed), 'mainnet'),
    );
    expect(node.toBase58()).toBe(xprv);
    expect(node.neutered().toBase58()).toBe(xpub);
    // kura reads the public key back as a mainnet account key.
    expect(parseExtendedPublicKey(xpub, 'mainnet', 'xpub').toBase58()).toBe(xpub);
  });
});

describe('BIP-32 vector 5: invalid extended keys', () => {
  it('reads all invalid keys', () => expect(invalid.length).toBeGreaterThanOrEqual(16));

  it.each(invalid)('refuses $reason', ({ key }) => {
    expect(() => bip32.fromBase58(key)).toThrow();
    expect(() => parseExtendedPublicKey(key, 'mainnet', 'cosigner')).toThrowError(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
  });
});
