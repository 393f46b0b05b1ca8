// Wallet export (Bitcoin Core descriptors, Caravan, Coldcard/Sparrow) and import (Caravan,
// Coldcard/Sparrow): round trips keep the wallet id, every refusal has its code, exported
// descriptors give the same addresses in an independent implementation (@scure/bip32 and
// @scure/btc-signer, seeds by plain PBKDF2), and mutated import files are only ever accepted or
// refused with a typed error.
import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import bs58check from 'bs58check';
import { HDKey } from '@scure/bip32';
import * as btc from '@scure/btc-signer';
import { ERROR_CODES, KuraError } from '../../src/errors.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { makeMultisigWallet, type Branch } from '../../src/bitcoin/descriptor.js';
import type { NetworkName } from '../../src/bitcoin/networks.js';
import { accountKeyFromMaster, masterFromSeed } from '../../src/keys/account.js';
import { mnemonicToSeed } from '../../src/keys/mnemonic.js';
import { parseWalletFile, walletFileFor, type LoadedWallet } from '../../src/artifacts/walletFile.js';
import {
  caravanConfig,
  coldcardSetupText,
  coreImportDescriptors,
  exportWallet,
} from '../../src/artifacts/walletExport.js';
import { importWallet, type ImportFormat } from '../../src/artifacts/walletImport.js';
import { PUBLIC_TEST_MNEMONICS } from '../fixtures/seeds.js';

const SIGNERS = ['alice', 'bob', 'carol'] as const;
const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const TPUB_VERSIONS = { private: 0x04358394, public: 0x043587cf };
const VERSION = { Vpub: 0x02575483, Upub: 0x024289ef, tpub: 0x043587cf } as const;

function seedOf(name: (typeof SIGNERS)[number]): Uint8Array {
  // BIP-39 seed as the BIP defines it, without kura's code.
  return pbkdf2Sync(PUBLIC_TEST_MNEMONICS[name].normalize('NFKD'), 'mnemonic', 2048, 64, 'sha512');
}

function testWallet(network: NetworkName, name = 'treasury', names = SIGNERS): LoadedWallet {
  const keys = names.map((n) =>
    accountKeyFromMaster(masterFromSeed(mnemonicToSeed(PUBLIC_TEST_MNEMONICS[n], ''), network), network, 0),
  );
  return parseWalletFile(walletFileFor(name, makeMultisigWallet(2, keys, network)));
}

function withVersion(xpub: string, version: number): string {
  const payload = Uint8Array.from(bs58check.decode(xpub));
  payload.set([version >>> 24, (version >>> 16) & 0xff, (version >>> 8) & 0xff, version & 0xff], 0);
  return bs58check.encode(payload);
}

const regtest = testWallet('regtest');
const mainnet = testWallet('mainnet');

function importId(content: string, format: ImportFormat, network?: NetworkName): string {
  return importWallet(content, format, { name: 'imported', network }).walletId;
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof KuraError) return error.code;
    throw error;
  }
  return undefined;
}

describe('export', () => {
  it('writes the Bitcoin Core importdescriptors request: receive and change, both active', () => {
    const request = JSON.parse(exportWallet(regtest, 'descriptor')) as unknown;
    expect(request).toEqual([
      { desc: regtest.file.receiveDescriptor, active: true, internal: false, timestamp: 0, range: [0, 999] },
      { desc: regtest.file.changeDescriptor, active: true, internal: true, timestamp: 0, range: [0, 999] },
    ]);
    expect(coreImportDescriptors(regtest, { timestamp: 'now' })[0]?.timestamp).toBe('now');
    expect(codeOf(() => coreImportDescriptors(regtest, { timestamp: -1 }))).toBe('ARGUMENT_INVALID');
  });

  it('writes the Caravan wallet configuration with every key, path and fingerprint', () => {
    const config = JSON.parse(exportWallet(regtest, 'caravan')) as ReturnType<typeof caravanConfig>;
    expect(config).toMatchObject({
      name: 'treasury',
      addressType: 'P2WSH',
      network: 'regtest',
      quorum: { requiredSigners: 2, totalSigners: 3 },
      startingAddressIndex: 0,
    });
    expect(config.extendedPublicKeys.map((k) => [k.xfp, k.bip32Path, k.xpub, 'method' in k])).toEqual(
      regtest.file.cosigners.map((c) => [c.fingerprint, "m/48'/1'/0'/2'", c.xpub, false]),
    );
  });

  it('writes the Coldcard setup file with one key line per cosigner under its derivation', () => {
    const text = coldcardSetupText(regtest);
    const lines = text.split('\n');
    for (const expected of [
      'Name: treasury',
      'Policy: 2 of 3',
      'Format: P2WSH',
      "Derivation: m/48'/1'/0'/2'",
    ]) {
      expect(lines).toContain(expected);
    }
    for (const c of regtest.file.cosigners)
      expect(lines).toContain(`${c.fingerprint.toUpperCase()}: ${c.xpub}`);
  });

  it('refuses a Coldcard name Coldcard would refuse, and takes another one', () => {
    const long = testWallet('regtest', 'a treasury name longer than twenty');
    expect(codeOf(() => exportWallet(long, 'coldcard'))).toBe('ARGUMENT_INVALID');
    expect(codeOf(() => exportWallet(regtest, 'coldcard', { name: 'tresorerie é' }))).toBe(
      'ARGUMENT_INVALID',
    );
    expect(codeOf(() => exportWallet(regtest, 'coldcard', { name: 'vault#a' }))).toBe('ARGUMENT_INVALID');
    expect(exportWallet(long, 'coldcard', { name: 'treasury' })).toContain('Name: treasury\n');
  });
});

describe('round trips keep the wallet id', () => {
  it.each([
    ['caravan', 'regtest', regtest],
    ['caravan', 'mainnet', mainnet],
    ['coldcard', 'regtest', regtest],
    ['coldcard', 'mainnet', mainnet],
  ] as const)('%s on %s', (format, network, wallet) => {
    const exported = exportWallet(wallet, format);
    expect(importId(exported, format, network)).toBe(wallet.id);
    if (network === 'mainnet') expect(importId(exported, format)).toBe(wallet.id); // xpub names mainnet
  });

  it('reads a Sparrow export (Derivation before Format, no blank line) and its per-key form', () => {
    const keys = regtest.file.cosigners.map((c) => `${c.fingerprint.toUpperCase()}: ${c.xpub}`);
    const sparrow = [
      '# Coldcard Multisig setup file (created by Sparrow)',
      '#',
      'Name: treasury',
      'Policy: 2 of 3',
      "Derivation: m/48'/1'/0'/2'",
      'Format: P2WSH',
      '',
      ...keys,
    ].join('\n');
    expect(importId(sparrow, 'coldcard', 'regtest')).toBe(regtest.id);
    const perKey = [
      'Name: treasury',
      'Policy: 2 of 3',
      'Format: P2WSH',
      ...keys.flatMap((k) => ["# derivation: m/48'/1'/0'/2'", k, '']),
    ].join('\r\n');
    expect(importId(perKey, 'coldcard', 'regtest')).toBe(regtest.id);
  });

  it('reads Coldcard variants: h markers, lower-case labels, 2/3, Vpub keys, trailing comments', () => {
    const text = [
      'name: treasury   # a comment',
      'policy: 2/3',
      'format: p2wsh',
      'derivation: m/48h/1h/0h/2h',
      ...regtest.file.cosigners.map((c) => `${c.fingerprint}: ${withVersion(c.xpub, VERSION.Vpub)}`),
    ].join('\n');
    expect(importId(text, 'coldcard', 'regtest')).toBe(regtest.id);
  });

  it('reads a Coldcard or Sparrow file that is one sortedmulti descriptor', () => {
    expect(importId(`${regtest.file.descriptor}\n`, 'coldcard', 'regtest')).toBe(regtest.id);
    expect(importId(`# from Sparrow\n${regtest.file.receiveDescriptor}`, 'coldcard', 'regtest')).toBe(
      regtest.id,
    );
  });

  it('gives cosigners in any order the same wallet', () => {
    const config = caravanConfig(regtest);
    const reversed = { ...config, extendedPublicKeys: [...config.extendedPublicKeys].reverse() };
    expect(importId(JSON.stringify(reversed), 'caravan')).toBe(regtest.id);
  });
});

/** `wsh(sortedmulti(M,[fp/path]key/B/*,…))#checksum` taken apart without kura's parser. */
function descriptorParts(desc: string) {
  const match = /^wsh\(sortedmulti\((\d+),(.*)\)\)#[a-z0-9]{8}$/.exec(desc);
  if (!match) throw new Error(`not a sortedmulti descriptor: ${desc}`);
  const keys = (match[2] ?? '').split(',').map((k) => {
    const parts = /^\[([0-9a-f]{8})\/([0-9h/]+)\]([1-9A-HJ-NP-Za-km-z]+)\/([01])\/\*$/.exec(k);
    if (!parts) throw new Error(`not a key expression: ${k}`);
    return { fingerprint: parts[1], path: parts[2], key: parts[3] ?? '', branch: Number(parts[4]) };
  });
  return { threshold: Number(match[1]), keys };
}

function scureAddresses(threshold: number, branchKeys: readonly HDKey[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const pubs = branchKeys.map((k) => k.deriveChild(i).publicKey as Uint8Array);
    return btc.p2wsh(
      btc.p2ms(threshold, pubs.sort(Buffer.compare as (a: Uint8Array, b: Uint8Array) => number)),
      REGTEST,
    ).address as string;
  });
}

describe('exported descriptors derive the same addresses in an independent implementation', () => {
  const request = coreImportDescriptors(regtest);
  it.each([
    [0, false],
    [1, true],
  ] as const)('branch %i (internal: %s), first 20 addresses', (branch, internal) => {
    const entry = request.find((r) => r.internal === internal);
    if (entry === undefined) throw new Error('no descriptor');
    const { threshold, keys } = descriptorParts(entry.desc);
    expect(threshold).toBe(2);
    expect(keys.every((k) => k.branch === branch && k.path === '48h/1h/0h/2h')).toBe(true);
    // Keys as the descriptor says them, and keys from the public test words: the same addresses.
    const fromDescriptor = keys.map((k) => HDKey.fromExtendedKey(k.key, TPUB_VERSIONS).deriveChild(branch));
    const masters = SIGNERS.map((n) => HDKey.fromMasterSeed(seedOf(n), TPUB_VERSIONS));
    const fromWords = masters.map((m) => m.derive("m/48'/1'/0'/2'").deriveChild(branch));
    expect(keys.map((k) => k.fingerprint).sort()).toEqual(
      masters.map((m) => m.fingerprint.toString(16).padStart(8, '0')).sort(),
    );
    const expected = scureAddresses(2, fromWords, 20);
    expect(scureAddresses(threshold, fromDescriptor, 20)).toEqual(expected);
    const kura = new WalletDeriver(regtest.wallet).range(branch as Branch, 0, 20).map((a) => a.address);
    expect(kura).toEqual(expected);
  });

  it('and so do the keys of the Caravan and Coldcard exports', () => {
    const expected = new WalletDeriver(regtest.wallet).range(0, 0, 5).map((a) => a.address);
    const caravan = caravanConfig(regtest).extendedPublicKeys.map((k) =>
      HDKey.fromExtendedKey(k.xpub, TPUB_VERSIONS).deriveChild(0),
    );
    expect(scureAddresses(2, caravan, 5)).toEqual(expected);
    const coldcard = [...coldcardSetupText(regtest).matchAll(/^[0-9A-F]{8}: (\w+)$/gm)].map((m) =>
      HDKey.fromExtendedKey(m[1] ?? '', TPUB_VERSIONS).deriveChild(0),
    );
    expect(coldcard).toHaveLength(3);
    expect(scureAddresses(2, coldcard, 5)).toEqual(expected);
  });
});

describe('import refusals', () => {
  const config = caravanConfig(regtest);
  const mainnetXpub = mainnet.file.cosigners[0]?.xpub ?? '';
  const caravan = (edit: (c: Record<string, unknown>) => unknown) => {
    const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
    return JSON.stringify(edit(copy) ?? copy);
  };
  const key = (c: Record<string, unknown>, i: number) =>
    (c.extendedPublicKeys as Record<string, unknown>[])[i] as Record<string, unknown>;

  const caravanCases: { description: string; content: string; network?: NetworkName; code: string }[] = [
    {
      description: 'P2SH',
      content: caravan((c) => void (c.addressType = 'P2SH')),
      code: 'WALLET_IMPORT_UNSUPPORTED',
    },
    {
      description: 'P2SH-P2WSH',
      content: caravan((c) => void (c.addressType = 'P2SH-P2WSH')),
      code: 'WALLET_IMPORT_UNSUPPORTED',
    },
    {
      description: 'a missing address type',
      content: caravan((c) => void delete c.addressType),
      code: 'WALLET_IMPORT_INVALID',
    },
    {
      description: 'an unknown network',
      content: caravan((c) => void (c.network = 'bitcoin')),
      code: 'WALLET_IMPORT_UNSUPPORTED',
    },
    {
      description: 'no network',
      content: caravan((c) => void delete c.network),
      code: 'WALLET_IMPORT_INVALID',
    },
    {
      description: 'another network than --network',
      content: caravan(() => undefined),
      network: 'testnet',
      code: 'NETWORK_MISMATCH',
    },
    {
      description: 'totalSigners that disagrees with the keys',
      content: caravan((c) => void ((c.quorum as Record<string, unknown>).totalSigners = 4)),
      code: 'WALLET_IMPORT_INVALID',
    },
    {
      description: 'requiredSigners above N',
      content: caravan((c) => void ((c.quorum as Record<string, unknown>).requiredSigners = 4)),
      code: 'THRESHOLD_INVALID',
    },
    {
      description: 'no keys',
      content: caravan((c) => void (c.extendedPublicKeys = [])),
      code: 'WALLET_IMPORT_INVALID',
    },
    {
      description: 'a damaged xpub',
      content: caravan((c) => void (key(c, 0).xpub = `${String(key(c, 0).xpub).slice(0, -2)}zz`)),
      code: 'KEY_INVALID',
    },
    {
      description: 'a mainnet xpub',
      content: caravan((c) => void (key(c, 0).xpub = mainnetXpub)),
      code: 'KEY_NETWORK_MISMATCH',
    },
    {
      description: 'a P2SH-P2WSH (Upub) key',
      content: caravan((c) => void (key(c, 0).xpub = withVersion(String(key(c, 0).xpub), VERSION.Upub))),
      code: 'KEY_SCRIPT_TYPE_MISMATCH',
    },
    {
      description: "Caravan's unknown path",
      content: caravan(
        (c) => void (key(c, 1).bip32Path = 'Unknown (make sure you have written this down previously!)'),
      ),
      code: 'KEY_ORIGIN_MISSING',
    },
    {
      description: "Caravan's unknown fingerprint",
      content: caravan((c) => void (key(c, 1).xfp = '00000000')),
      code: 'KEY_ORIGIN_MISSING',
    },
    {
      description: 'a malformed fingerprint',
      content: caravan((c) => void (key(c, 1).xfp = 'xyz')),
      code: 'WALLET_IMPORT_INVALID',
    },
    {
      description: 'a path of the wrong depth',
      content: caravan((c) => void (key(c, 1).bip32Path = "m/48'/1'/0'")),
      code: 'KEY_ORIGIN_MISMATCH',
    },
    {
      description: 'a malformed path',
      content: caravan((c) => void (key(c, 1).bip32Path = "m/48'/x")),
      code: 'WALLET_IMPORT_INVALID',
    },
    {
      description: 'the same key twice under another fingerprint',
      content: caravan(
        (c) => void (c.extendedPublicKeys = [key(c, 0), key(c, 1), { ...key(c, 0), xfp: 'deadbeef' }]),
      ),
      code: 'KEY_DUPLICATE',
    },
    { description: 'a list instead of an object', content: '[]', code: 'WALLET_IMPORT_INVALID' },
    { description: 'text that is not JSON', content: '{"name": ', code: 'JSON_MALFORMED' },
  ];
  it.each(caravanCases)('Caravan: $description is $code', ({ content, network, code }) => {
    expect(codeOf(() => importWallet(content, 'caravan', { name: 'w', network }))).toBe(code);
  });

  const keyLines = regtest.file.cosigners.map((c) => `${c.fingerprint.toUpperCase()}: ${c.xpub}`);
  const coldcard = (lines: { head?: string[]; keys?: string[] } = {}) =>
    [
      ...(lines.head ?? ['Name: w', 'Policy: 2 of 3', 'Format: P2WSH', "Derivation: m/48'/1'/0'/2'"]),
      ...(lines.keys ?? keyLines),
    ].join('\n');
  const coldcardCases: {
    description: string;
    content: string;
    network?: NetworkName | undefined;
    code: string;
  }[] = [
    {
      description: 'Format: P2SH',
      content: coldcard({ head: ['Policy: 2 of 3', 'Format: P2SH', "Derivation: m/48'/1'/0'/2'"] }),
      code: 'WALLET_IMPORT_UNSUPPORTED',
    },
    {
      description: 'Format: P2WSH-P2SH',
      content: coldcard({ head: ['Policy: 2 of 3', 'Format: P2WSH-P2SH', "Derivation: m/48'/1'/0'/2'"] }),
      code: 'WALLET_IMPORT_UNSUPPORTED',
    },
    {
      description: 'no Format (Coldcard reads P2SH)',
      content: coldcard({ head: ['Policy: 2 of 3', "Derivation: m/48'/1'/0'/2'"] }),
      code: 'WALLET_IMPORT_UNSUPPORTED',
    },
    {
      description: 'an unknown Format',
      content: coldcard({ head: ['Format: P2TR', "Derivation: m/48'/1'/0'/2'"] }),
      code: 'WALLET_IMPORT_INVALID',
    },
    {
      description: 'a Policy that disagrees with the keys',
      content: coldcard({ head: ['Policy: 2 of 4', 'Format: P2WSH', "Derivation: m/48'/1'/0'/2'"] }),
      code: 'WALLET_IMPORT_INVALID',
    },
    {
      description: 'M above N',
      content: coldcard({ head: ['Policy: 4 of 3', 'Format: P2WSH', "Derivation: m/48'/1'/0'/2'"] }),
      code: 'THRESHOLD_INVALID',
    },
    {
      description: 'a derivation of the wrong depth',
      content: coldcard({ head: ['Policy: 2 of 3', 'Format: P2WSH', "Derivation: m/48'/1'/0'"] }),
      code: 'KEY_ORIGIN_MISMATCH',
    },
    {
      description: 'a mainnet coin type',
      content: coldcard({ head: ['Policy: 2 of 3', 'Format: P2WSH', "Derivation: m/48'/0'/0'/2'"] }),
      code: 'KEY_NETWORK_MISMATCH',
    },
    {
      description: 'keys before any Derivation',
      content: coldcard({ head: ['Policy: 2 of 3', 'Format: P2WSH'] }),
      code: 'KEY_ORIGIN_MISSING',
    },
    {
      description: 'a key without its fingerprint',
      content: coldcard({ keys: [...keyLines.slice(0, 2), regtest.file.cosigners[2]?.xpub ?? ''] }),
      code: 'KEY_ORIGIN_MISSING',
    },
    {
      description: 'the same key twice',
      content: coldcard({
        keys: [...keyLines.slice(0, 2), keyLines[0]?.replace(/^\w{8}/, 'DEADBEEF') ?? ''],
      }),
      code: 'KEY_DUPLICATE',
    },
    {
      description: 'a damaged key',
      content: coldcard({ keys: [...keyLines.slice(0, 2), `${keyLines[2]?.slice(0, -2)}zz`] }),
      code: 'KEY_INVALID',
    },
    {
      description: 'an unknown label',
      content: coldcard({ keys: [...keyLines, 'Comment: hello'] }),
      code: 'WALLET_IMPORT_INVALID',
    },
    {
      description: 'test keys without --network',
      content: coldcard(),
      network: undefined,
      code: 'INPUT_REQUIRED',
    },
    { description: 'no keys', content: coldcard({ keys: [] }), code: 'WALLET_IMPORT_INVALID' },
    { description: 'an empty file', content: '# nothing\n\n', code: 'WALLET_IMPORT_INVALID' },
    {
      description: 'an unsorted multi() descriptor',
      content: regtest.file.descriptor.replace('sortedmulti', 'multi'),
      code: 'WALLET_IMPORT_UNSUPPORTED',
    },
    {
      description: 'a P2SH-P2WSH descriptor',
      content: `sh(${regtest.file.descriptor.split('#')[0]})`,
      code: 'WALLET_IMPORT_UNSUPPORTED',
    },
    {
      description: 'a descriptor with a wrong checksum',
      content: regtest.file.descriptor.replace(/#\w+$/, '#qqqqqqqq'),
      code: 'DESCRIPTOR_CHECKSUM_INVALID',
    },
  ];
  it.each(coldcardCases)('Coldcard: $description is $code', (c) => {
    const network = 'network' in c ? c.network : 'regtest';
    expect(codeOf(() => importWallet(c.content, 'coldcard', { name: 'w', network }))).toBe(c.code);
  });

  it('checks the kura name', () => {
    expect(codeOf(() => importWallet(exportWallet(regtest, 'caravan'), 'caravan', { name: '' }))).toBe(
      'ARTIFACT_INVALID',
    );
  });
});

describe('mutated import files are accepted or refused with a typed error, never anything else', () => {
  const sources: { format: ImportFormat; text: string }[] = [
    { format: 'caravan', text: exportWallet(regtest, 'caravan') },
    { format: 'coldcard', text: exportWallet(regtest, 'coldcard') },
    { format: 'coldcard', text: exportWallet(mainnet, 'coldcard') },
  ];
  // Edits that keep most of the file: a character replaced, removed or inserted, a line dropped,
  // repeated or swapped, or a piece of one file pasted into another place.
  const mutation = fc.oneof(
    fc.record({
      kind: fc.constant('replace' as const),
      at: fc.nat(),
      char: fc.string({ minLength: 1, maxLength: 1 }),
    }),
    fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 12 }),
    }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 8 }) }),
    fc.record({
      kind: fc.constant('line' as const),
      at: fc.nat(),
      op: fc.constantFrom('drop', 'repeat', 'swap'),
    }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

  function mutate(text: string, m: Mutation): string {
    const at = m.at % (text.length + 1);
    switch (m.kind) {
      case 'replace':
        return text.slice(0, at) + m.char + text.slice(at + 1);
      case 'delete':
        return text.slice(0, at) + text.slice(at + m.length);
      case 'insert':
        return text.slice(0, at) + m.text + text.slice(at);
      case 'line': {
        const lines = text.split('\n');
        const i = m.at % lines.length;
        if (m.op === 'drop') lines.splice(i, 1);
        else if (m.op === 'repeat') lines.splice(i, 0, lines[i] ?? '');
        else [lines[i], lines[0]] = [lines[0] ?? '', lines[i] ?? ''];
        return lines.join('\n');
      }
    }
  }

  it('for Caravan and Coldcard files', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...sources),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom<NetworkName | undefined>('regtest', 'mainnet', undefined),
        (source, mutations, network) => {
          const text = mutations.reduce(mutate, source.text);
          try {
            const file = importWallet(text, source.format, { name: 'mutated', network });
            // Accepted: then it is a complete, self-consistent kura wallet.
            expect(parseWalletFile(file).id).toBe(file.walletId);
          } catch (error) {
            if (!(error instanceof KuraError)) throw error;
            expect(Object.keys(ERROR_CODES)).toContain(error.code);
            expect(error.code).not.toBe('INTERNAL');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
