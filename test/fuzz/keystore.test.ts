// Bad input everywhere (faults issue, part 5), for the sealed files: a signer's keystore (restored
// from a PUBLIC test mnemonic) and an officer key file (PUBLIC test key 0x…01), mutated field by
// field and byte by byte. Reading one — the step before any passphrase is asked for — gives the
// file or KEYSTORE_CORRUPT, nothing else. Opening a mutated keystore with the RIGHT passphrase
// gives the same words back or KEYSTORE_CORRUPT; scrypt takes about half a second per unlock, so
// the property is run on the public header (refused by its SHA-256 before scrypt runs) and the
// sealed fields are damaged one at a time in a short table.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { hexToBytes } from '@noble/hashes/utils.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseOfficerKeyFile, sealOfficerKey } from '../../src/approvals/officerKey.js';
import { readJsonFile } from '../../src/artifacts/readFile.js';
import { openKeystore } from '../../src/keys/keystore.js';
import { loadKeystoreFile } from '../../src/signer/home.js';
import { PUBLIC_TEST_MNEMONICS, TEST_PASSPHRASE } from '../fixtures/seeds.js';
import { tempDir } from '../helpers/cli.js';
import { restoreSigner } from '../helpers/keys.js';
import {
  applyJsonEdit,
  documentMutation,
  FUZZ_SEED,
  fuzzRuns,
  jsonEdit,
  jsonOfBytes,
  mutateDocument,
  outcome,
  Tally,
  type JsonEdit,
} from './mutate.js';

const PARSE_RUNS = fuzzRuns(400);
const HEADER_RUNS = fuzzRuns(60);

let keystore: Record<string, unknown>;
let keystoreText: string;
/** A scratch signer home whose keystore.json each case overwrites. */
let scratch: string;

beforeAll(async () => {
  const home = await restoreSigner(tempDir('kura-fuzz-keys-'), 'alice', 'regtest');
  keystore = readJsonFile(join(home, 'keystore.json')) as Record<string, unknown>;
  keystoreText = `${JSON.stringify(keystore, null, 2)}\n`;
  scratch = tempDir('kura-fuzz-keystore-');
}, 120_000);

function load(bytes: Uint8Array) {
  writeFileSync(join(scratch, 'keystore.json'), bytes);
  return loadKeystoreFile(scratch);
}

/** Fields whose damage is only found by decrypting (so scrypt runs). */
const SEALED = ['passphraseCheck', 'ciphertext', 'tag', 'cipher'];

describe('mutated keystores', () => {
  it('are read as a keystore or refused as KEYSTORE_CORRUPT', () => {
    const tally = new Tally();
    fc.assert(
      fc.property(documentMutation(keystore), (mutation) => {
        const result = outcome(() => load(mutateDocument(keystore, keystoreText, mutation)));
        tally.add(result);
        if (!result.ok) expect(result.code).toBe('KEYSTORE_CORRUPT');
      }),
      { seed: FUZZ_SEED, numRuns: PARSE_RUNS },
    );
    console.info(`fuzz keystore read: ${tally}`);
  });

  it('with a public field changed, open with the right passphrase as the same words or KEYSTORE_CORRUPT', () => {
    const tally = new Tally();
    const headerEdits = jsonEdit(keystore).filter(
      (e: JsonEdit) => e.kind !== 'add' && !SEALED.includes(String(e.path[0])),
    );
    fc.assert(
      fc.property(headerEdits, (edit) => {
        const text = `${JSON.stringify(applyJsonEdit(keystore, edit), null, 2)}\n`;
        const result = outcome(() => openKeystore(load(new TextEncoder().encode(text)), TEST_PASSPHRASE));
        tally.add(result);
        if (result.ok) expect(result.value.mnemonic).toBe(PUBLIC_TEST_MNEMONICS.alice);
        else expect(result.code).toBe('KEYSTORE_CORRUPT');
      }),
      { seed: FUZZ_SEED, numRuns: HEADER_RUNS },
    );
    console.info(`fuzz keystore open (public fields): ${tally}`);
  });

  /** The keystore with one byte of a hex field flipped, or the field cut by one byte. */
  function damaged(path: readonly string[], how: 'flip' | 'cut'): Uint8Array {
    const hex = path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], keystore) as string;
    const bytes = hexToBytes(hex);
    const changed = how === 'cut' ? bytes.subarray(0, -1) : bytes.map((b, i) => (i === 3 ? b ^ 0x40 : b));
    const edited = applyJsonEdit(keystore, {
      kind: 'replace',
      path,
      value: Buffer.from(changed).toString('hex'),
    });
    return new TextEncoder().encode(JSON.stringify(edited));
  }

  it.each([
    { field: 'ciphertext', how: 'flip' as const, code: 'KEYSTORE_CORRUPT' },
    { field: 'ciphertext', how: 'cut' as const, code: 'KEYSTORE_CORRUPT' },
    { field: 'tag', how: 'flip' as const, code: 'KEYSTORE_CORRUPT' },
    { field: 'cipher.nonce', how: 'flip' as const, code: 'KEYSTORE_CORRUPT' },
    // The check value is what tells a wrong passphrase from a damaged file; damaged itself, it
    // can only say "wrong passphrase" (the right one no longer matches it). Still typed, still safe.
    { field: 'passphraseCheck', how: 'flip' as const, code: 'KEYSTORE_PASSPHRASE_WRONG' },
  ])('with $field damaged ($how), opening with the right passphrase is $code', ({ field, how, code }) => {
    const result = outcome(() => openKeystore(load(damaged(field.split('.'), how)), TEST_PASSPHRASE));
    expect(result).toEqual({ ok: false, code });
  });

  it('the undamaged keystore opens, so the cases above could fail', () => {
    const secret = openKeystore(load(new TextEncoder().encode(keystoreText)), TEST_PASSPHRASE);
    expect(secret.mnemonic).toBe(PUBLIC_TEST_MNEMONICS.alice);
  });
});

describe('mutated officer key files', () => {
  it('are read as an officer key or refused as KEYSTORE_CORRUPT, before any passphrase', () => {
    // PUBLIC TEST KEY 0x…01, the test officer ops-1 of test/helpers/scenario.ts.
    const file = sealOfficerKey(hexToBytes('00'.repeat(31) + '01'), TEST_PASSPHRASE, 'ops-1');
    const text = `${JSON.stringify(file, null, 2)}\n`;
    const tally = new Tally();
    fc.assert(
      fc.property(documentMutation(file), (mutation) => {
        const result = outcome(() => {
          let json: unknown;
          try {
            json = jsonOfBytes(mutateDocument(file, text, mutation));
          } catch {
            return 'not JSON';
          }
          return parseOfficerKeyFile(json);
        });
        // text that is not JSON is readJsonFile's JSON_MALFORMED, before this parser sees it
        tally.add(result.ok && result.value === 'not JSON' ? { ok: false, code: 'JSON_MALFORMED' } : result);
        if (!result.ok) expect(result.code).toBe('KEYSTORE_CORRUPT');
        // anything accepted has the same public header: a changed one fails its SHA-256
        else if (result.value !== 'not JSON') expect(result.value.publicKey).toBe(file.publicKey);
      }),
      { seed: FUZZ_SEED, numRuns: PARSE_RUNS },
    );
    console.info(`fuzz officer key read: ${tally}`);
  });
});
