// outputScriptOf must accept and refuse exactly what bitcoinjs-lib's toOutputScript does, with the
// same script: it only takes a faster road for segwit v0/v1 addresses (src/bitcoin/outputScript.ts).
// Checked on the BIP-350 segwit address vectors (test/vectors/, verbatim), on addresses of every
// kind for every network, and on random programs, versions, prefixes and one-character damage.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { address as bjsAddress, payments, type Network } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { outputScriptOf } from '../../src/bitcoin/outputScript.js';
import { networkInfo, NETWORK_NAMES } from '../../src/bitcoin/networks.js';

const NETWORKS: Network[] = NETWORK_NAMES.map((name) => networkInfo(name).bitcoinjs);
const MAINNET = networkInfo('mainnet').bitcoinjs;
const TESTNET = networkInfo('testnet').bitcoinjs;

/** The reference answer: the script's hex, or "refused". */
function reference(address: string, network: Network): string {
  try {
    return bytesToHex(bjsAddress.toOutputScript(address, network));
  } catch {
    return 'refused';
  }
}

function ours(address: string, network: Network): string {
  try {
    return bytesToHex(outputScriptOf(address, network));
  } catch {
    return 'refused';
  }
}

function expectSame(address: string): void {
  for (const network of NETWORKS) {
    expect(ours(address, network), `${address} on ${network.bech32}`).toBe(reference(address, network));
  }
}

const vectorText = readFileSync(
  new URL('../vectors/bip350-segwit-addresses.mediawiki.txt', import.meta.url),
  'utf8',
);
const VALID = [...vectorText.matchAll(/^\* <tt>([^<]+)<\/tt>: <tt>([0-9a-f]+)<\/tt>$/gm)].map((m) => ({
  address: m[1] as string,
  script: m[2] as string,
}));
const INVALID = [...vectorText.matchAll(/^\* <tt>([^<]+)<\/tt>: ([A-Za-z].*)$/gm)].map((m) => m[1] as string);

describe('outputScriptOf', () => {
  it('reads the BIP-350 valid segwit addresses as bitcoinjs-lib does, as their listed scripts', () => {
    expect(VALID).toHaveLength(8);
    let accepted = 0;
    for (const { address, script } of VALID) {
      const network = address.toLowerCase().startsWith('bc1') ? MAINNET : TESTNET;
      // bitcoinjs-lib refuses version 1 programs that are not 32 bytes, and the two future-version
      // vectors are outputs no kura wallet pays; where it accepts, the script is the listed one.
      const expected = reference(address, network);
      if (expected !== 'refused') {
        expect(expected).toBe(script);
        accepted += 1;
      }
      expect(ours(address, network)).toBe(expected);
      expectSame(address);
    }
    expect(accepted).toBeGreaterThanOrEqual(5);
  });

  it('refuses every BIP-350 invalid segwit address, like bitcoinjs-lib', () => {
    expect(INVALID).toHaveLength(15);
    for (const address of INVALID) {
      for (const network of NETWORKS) expect(ours(address, network)).toBe('refused');
      expectSame(address);
    }
  });

  it('gives bitcoinjs-lib’s script for addresses of every kind, on every network', () => {
    const program = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(program, fc.constantFrom(...NETWORKS), (bytes, network) => {
        const addresses = [
          payments.p2pkh({ hash: bytes.slice(0, 20), network }).address,
          payments.p2sh({ hash: bytes.slice(0, 20), network }).address,
          payments.p2wpkh({ hash: bytes.slice(0, 20), network }).address,
          payments.p2wsh({ hash: bytes, network }).address,
        ];
        // Taproot: bitcoinjs-lib refuses a program that is not a key on the curve; both must agree.
        const taproot = bjsAddress.toBech32(bytes, 1, network.bech32);
        expectSame(taproot);
        for (const address of addresses) {
          expect(address).toBeDefined();
          expect(ours(address as string, network)).not.toBe('refused');
          expect(ours((address as string).toUpperCase(), network)).toBe(
            reference((address as string).toUpperCase(), network),
          );
          expectSame(address as string);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('agrees on every witness version and program length, including future versions and wrong lengths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 16 }),
        fc.uint8Array({ minLength: 0, maxLength: 42 }),
        fc.constantFrom(...NETWORKS),
        (version, data, network) => {
          let address: string;
          try {
            address = bjsAddress.toBech32(data, version, network.bech32);
          } catch {
            return; // too long for bech32 itself
          }
          expectSame(address);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees on addresses with one character changed, dropped or added', () => {
    const base = [
      bjsAddress.toBech32(new Uint8Array(20).fill(7), 0, MAINNET.bech32),
      bjsAddress.toBech32(new Uint8Array(32).fill(9), 1, TESTNET.bech32),
      bjsAddress.toBech32(new Uint8Array(32).fill(3), 0, networkInfo('regtest').bitcoinjs.bech32),
    ];
    const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7lQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7Lbio1 ';
    fc.assert(
      fc.property(
        fc.constantFrom(...base),
        fc.nat(),
        fc.constantFrom(...alphabet),
        fc.constantFrom('replace', 'drop', 'insert'),
        (address, at, char, how) => {
          const i = at % address.length;
          const damaged =
            how === 'replace'
              ? address.slice(0, i) + char + address.slice(i + 1)
              : how === 'drop'
                ? address.slice(0, i) + address.slice(i + 1)
                : address.slice(0, i) + char + address.slice(i);
          expectSame(damaged);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('agrees on strings that are not addresses at all', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 90 }), (text) => expectSame(text)),
      { numRuns: 300 },
    );
    for (const text of ['', 'bc1', 'BC1', 'bcrt1', 'tb1qqqqqqq', '1'.repeat(40)]) expectSame(text);
  });
});
