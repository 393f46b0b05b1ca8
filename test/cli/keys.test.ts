// `kura keys create|show|verify` driven as an operator would, in temporary folders.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bip32 } from '../../src/bitcoin/ecc.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { PUBLIC_TEST_MNEMONICS, TEST_PASSPHRASE } from '../fixtures/seeds.js';
import { errorCode, kura, tempDir, writeTemp } from '../helpers/cli.js';
import { restoreSigner } from '../helpers/keys.js';
import { vectorJson } from '../helpers/vectors.js';

/** Answers "Word #n:" from the words the ceremony showed. */
function answerFromShownWords(question: string, said: string): string {
  const position = Number(/Word #(\d+)/.exec(question)?.[1]);
  const match = new RegExp(`(?:^|\\s)${position}\\. (\\w+)`).exec(said);
  return match?.[1] ?? '';
}

const quizAnswers = Array.from({ length: 4 }, () => answerFromShownWords);

describe('kura keys create (fresh words)', () => {
  it('shows the words, quizzes four of them, then writes keystore and cosigner file 0400 in a 0700 home', async () => {
    const dir = tempDir();
    const home = join(dir, 'signer-a');
    const run = await kura(['keys', 'create', '--home', home, '--network', 'regtest', '--json'], {
      asks: quizAnswers,
      secrets: [TEST_PASSPHRASE, TEST_PASSPHRASE],
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.said).toMatch(/24\. \w+/);
    expect(run.said.match(/Word #\d+/g)).toHaveLength(4);
    const result = run.json<{ backupChecked: boolean; cosigner: { path: string; keyOrigin: string } }>();
    expect(result.backupChecked).toBe(true);
    expect(result.cosigner.path).toBe("m/48'/1'/0'/2'");
    expect(result.cosigner.keyOrigin).toMatch(/^\[[0-9a-f]{8}\/48h\/1h\/0h\/2h\]tpub/);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'keystore.json')).mode & 0o777).toBe(0o400);
    expect(statSync(join(home, 'cosigner.json')).mode & 0o777).toBe(0o400);
    // The words never reach a file or stdout in an attended ceremony.
    expect(readFileSync(join(home, 'keystore.json'), 'utf8')).not.toMatch(
      /\b[a-z]{3,8} [a-z]{3,8} [a-z]{3,8}\b/,
    );
  });

  it('writes nothing when a word typed back is wrong', async () => {
    const dir = tempDir();
    const home = join(dir, 'signer-a');
    const run = await kura(['keys', 'create', '--home', home, '--json'], {
      asks: ['notaword', ...quizAnswers],
      secrets: [TEST_PASSPHRASE, TEST_PASSPHRASE],
    });
    expect(errorCode(run)).toBe('BACKUP_CHECK_FAILED');
    expect(existsSync(join(home, 'keystore.json'))).toBe(false);
  });

  it('mixes typed dice rolls in, and refuses too few or non-die characters', async () => {
    const dir = tempDir();
    const ok = await kura(['keys', 'create', '--home', join(dir, 'a'), '--dice', '--json'], {
      asks: ['1234565432'.repeat(10), ...quizAnswers],
      secrets: [TEST_PASSPHRASE, TEST_PASSPHRASE],
    });
    expect(ok.code).toBe(0);
    for (const rolls of ['123456'.repeat(16), '7'.repeat(120)]) {
      const bad = await kura(['keys', 'create', '--home', join(dir, 'b'), '--dice', '--json'], {
        asks: [rolls],
      });
      expect(errorCode(bad)).toBe('DICE_INVALID');
    }
  });

  it('refuses to run without a terminal unless --unattended, which needs --words-out and warns loudly', async () => {
    const dir = tempDir();
    const pass = writeTemp(dir, 'pass', TEST_PASSPHRASE);
    const noTty = await kura([
      'keys',
      'create',
      '--home',
      join(dir, 'a'),
      '--passphrase-file',
      pass,
      '--json',
    ]);
    expect(errorCode(noTty)).toBe('INTERACTIVE_REQUIRED');
    const noOut = await kura([
      'keys',
      'create',
      '--home',
      join(dir, 'a'),
      '--unattended',
      '--passphrase-file',
      pass,
    ]);
    expect(errorCode(noOut)).toBe('INPUT_REQUIRED');
    const words = join(dir, 'words.txt');
    const run = await kura([
      'keys',
      'create',
      '--home',
      join(dir, 'a'),
      '--unattended',
      '--words-out',
      words,
      '--passphrase-file',
      pass,
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(run.said).toMatch(/WARNING: UNATTENDED: no one checked a backup/);
    expect(statSync(words).mode & 0o777).toBe(0o400);
    expect(readFileSync(words, 'utf8').trim().split(' ')).toHaveLength(24);
  });

  it('refuses a short passphrase and two different entries', async () => {
    const dir = tempDir();
    const short = await kura(['keys', 'create', '--home', join(dir, 'a'), '--json'], {
      asks: quizAnswers,
      secrets: ['short', 'short'],
    });
    expect(errorCode(short)).toBe('PASSPHRASE_TOO_SHORT');
    const differ = await kura(['keys', 'create', '--home', join(dir, 'a'), '--json'], {
      asks: quizAnswers,
      secrets: [TEST_PASSPHRASE, `${TEST_PASSPHRASE}!`],
    });
    expect(errorCode(differ)).toBe('PASSPHRASE_MISMATCH');
    expect(existsSync(join(dir, 'a', 'keystore.json'))).toBe(false);
  });

  it('never replaces an existing key', async () => {
    const dir = tempDir();
    const home = await restoreSigner(dir, 'alice', 'regtest');
    const before = readFileSync(join(home, 'keystore.json'), 'utf8');
    const words = writeTemp(dir, 'w', PUBLIC_TEST_MNEMONICS.bob);
    const pass = writeTemp(dir, 'p', TEST_PASSPHRASE);
    const run = await kura([
      'keys',
      'create',
      '--home',
      home,
      '--restore',
      '--words-file',
      words,
      '--passphrase-file',
      pass,
    ]);
    expect(errorCode(run)).toBe('KEYSTORE_EXISTS');
    expect(readFileSync(join(home, 'keystore.json'), 'utf8')).toBe(before);
  });
});

describe('kura keys create --restore', () => {
  type EnglishVector = [string, string, string, string];
  const english = vectorJson<{ english: EnglishVector[] }>('bip39-english.json').english;

  it('restores the master fingerprint the BIP-39 vector implies, with its passphrase', async () => {
    const [, mnemonic, , xprv] = english[3] ?? ['', '', '', ''];
    const dir = tempDir();
    const home = join(dir, 'r');
    const words = writeTemp(dir, 'words', `${mnemonic}\n`);
    const pass = writeTemp(dir, 'pass', TEST_PASSPHRASE);
    const bip39 = writeTemp(dir, 'bip39', 'TREZOR\n');
    const run = await kura([
      'keys',
      'create',
      '--home',
      home,
      '--restore',
      '--words-file',
      words,
      '--bip39-passphrase-file',
      bip39,
      '--passphrase-file',
      pass,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const expected = bytesToHex(bip32.fromBase58(xprv).fingerprint);
    expect(run.json<{ cosigner: { fingerprint: string } }>().cosigner.fingerprint).toBe(expected);
    const shown = await kura(['keys', 'show', '--home', home, '--json']);
    expect(shown.json<{ fingerprint: string; path: string }>()).toMatchObject({
      fingerprint: expected,
      path: "m/48'/0'/0'/2'",
    });
  });

  it.each([
    {
      description: 'a bad checksum',
      words: PUBLIC_TEST_MNEMONICS.alice.replace(/art$/, 'zoo'),
      code: 'MNEMONIC_CHECKSUM',
    },
    {
      description: 'an unknown word',
      words: PUBLIC_TEST_MNEMONICS.alice.replace(/^abandon/, 'abandonn'),
      code: 'MNEMONIC_UNKNOWN_WORD',
    },
    { description: 'a wrong count', words: 'abandon '.repeat(11).trim(), code: 'MNEMONIC_WORD_COUNT' },
  ])('refuses words with $description', async ({ words, code }) => {
    const dir = tempDir();
    const run = await kura([
      'keys',
      'create',
      '--home',
      join(dir, 'h'),
      '--restore',
      '--words-file',
      writeTemp(dir, 'w', words),
      '--passphrase-file',
      writeTemp(dir, 'p', TEST_PASSPHRASE),
      '--json',
    ]);
    expect(errorCode(run)).toBe(code);
    expect(run.code).toBe(3);
    expect(existsSync(join(dir, 'h', 'keystore.json'))).toBe(false);
  });

  it('refuses --restore without --words-file', async () => {
    const run = await kura(['keys', 'create', '--home', tempDir(), '--restore', '--json']);
    expect(errorCode(run)).toBe('INPUT_REQUIRED');
  });
});

describe('kura keys verify', () => {
  it('unlocks with the right passphrase, and names a wrong one and a damaged keystore', async () => {
    const dir = tempDir();
    const home = await restoreSigner(dir, 'alice', 'regtest');
    const good = await kura([
      'keys',
      'verify',
      '--home',
      home,
      '--passphrase-file',
      writeTemp(dir, 'g', TEST_PASSPHRASE),
    ]);
    expect(good.code).toBe(0);
    const typed = await kura(['keys', 'verify', '--home', home], { secrets: [TEST_PASSPHRASE] });
    expect(typed.code).toBe(0);

    const wrong = await kura([
      'keys',
      'verify',
      '--home',
      home,
      '--passphrase-file',
      writeTemp(dir, 'w', 'not the one'),
    ]);
    expect(errorCode(wrong)).toBe('KEYSTORE_PASSPHRASE_WRONG');
    expect(wrong.code).toBe(5);

    const path = join(home, 'keystore.json');
    const original = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const damages: Record<string, (k: Record<string, unknown>) => unknown> = {
      ciphertext: (k) => ({ ...k, ciphertext: flipHex(k.ciphertext as string) }),
      tag: (k) => ({ ...k, tag: flipHex(k.tag as string) }),
      xpub: (k) => ({ ...k, xpub: 'tpub' + (k.xpub as string).slice(4, -1) + 'x' }),
      'kdf.N': (k) => ({ ...k, kdf: { ...(k.kdf as object), N: 2 ** 16 } }),
      truncated: () => '{"kind": "kura-keystore", "vers',
    };
    for (const [name, damage] of Object.entries(damages)) {
      chmodSync(path, 0o600);
      const damaged = damage(original);
      writeFileSync(path, typeof damaged === 'string' ? damaged : JSON.stringify(damaged));
      const run = await kura([
        'keys',
        'verify',
        '--home',
        home,
        '--passphrase-file',
        writeTemp(dir, 'g', TEST_PASSPHRASE),
      ]);
      expect(errorCode(run), name).toBe('KEYSTORE_CORRUPT');
    }
  });

  it('says when a home holds no key', async () => {
    const run = await kura(['keys', 'show', '--home', tempDir(), '--json']);
    expect(errorCode(run)).toBe('KEYSTORE_NOT_FOUND');
  });
});

function flipHex(hex: string): string {
  const last = hex.at(-1) === '0' ? '1' : '0';
  return hex.slice(0, -1) + last;
}
