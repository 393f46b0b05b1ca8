// The key ceremony (`kura keys create`): words from the CSPRNG (and dice), shown once and quizzed
// back before anything is written; or restored from a words file. The keystore and the cosigner
// file are then written exclusively, mode 0400, into a 0700 signer home.
import { existsSync } from 'node:fs';
import { KuraError } from '../errors.js';
import type { Interaction } from '../interaction.js';
import { formatAccountKey, parseKeyOriginString, type AccountKey } from '../bitcoin/keyExpression.js';
import type { NetworkName } from '../bitcoin/networks.js';
import { writeFileAtomic, ensurePrivateDirectory } from '../artifacts/atomicWrite.js';
import { cosignerFileFor, type CosignerFile } from '../artifacts/cosignerFile.js';
import { readSecretFile } from '../artifacts/readFile.js';
import { signerPaths, loadKeystoreFile } from '../signer/home.js';
import {
  checkNewPassphrase,
  describeSecret,
  openKeystore,
  sealKeystore,
  type KeystoreFile,
} from './keystore.js';
import { createMnemonic, parseDiceRolls, parseMnemonic, quizPositions, wordAt } from './mnemonic.js';

/** Four words typed back catch a skipped or garbled backup without tiring the operator. */
export const QUIZ_WORDS = 4;

export interface CreateKeyOptions {
  readonly home: string;
  readonly network: NetworkName;
  readonly account: number;
  /** Ask for at least 99 die rolls and mix them in. */
  readonly dice?: boolean;
  /** Skip the backup quiz (no person present). Requires `wordsOut` for a fresh key. */
  readonly unattended?: boolean;
  /** Restore from this words file instead of creating new words. */
  readonly restoreWordsFile?: string;
  /** Unattended fresh keys only: where the words are written (0400, exclusive). */
  readonly wordsOut?: string;
  readonly bip39PassphraseFile?: string;
  readonly passphraseFile?: string;
}

export interface CreateKeyResult {
  readonly restored: boolean;
  readonly backupChecked: boolean;
  readonly keystorePath: string;
  readonly cosignerPath: string;
  readonly cosigner: CosignerFile;
}

async function readNewPassphrase(options: CreateKeyOptions, io: Interaction): Promise<string> {
  if (options.passphraseFile !== undefined) {
    return checkNewPassphrase(readSecretFile(options.passphraseFile, 'passphrase-file'));
  }
  if (!io.interactive) {
    throw new KuraError(
      'INPUT_REQUIRED',
      'no terminal to type the keystore passphrase: use --passphrase-file',
      {
        field: 'passphrase',
      },
    );
  }
  const first = checkNewPassphrase(await io.secret('Keystore passphrase: '));
  const second = checkNewPassphrase(await io.secret('Repeat the passphrase: '));
  if (first !== second) {
    throw new KuraError('PASSPHRASE_MISMATCH', 'the two passphrase entries differ; nothing was written', {
      field: 'passphrase',
    });
  }
  return first;
}

function showWords(mnemonic: string, io: Interaction): void {
  const words = mnemonic.split(' ');
  const rows: string[] = [];
  for (let r = 0; r < words.length / 4; r++) {
    rows.push(
      [0, 1, 2, 3]
        .map((c) => {
          const i = r + c * (words.length / 4);
          return `${String(i + 1).padStart(2)}. ${(words[i] ?? '').padEnd(10)}`;
        })
        .join('  '),
    );
  }
  io.say(
    [
      'Write these words down, in order, on paper. They are shown once and are the only backup of this key.',
      '',
      ...rows,
      '',
    ].join('\n'),
  );
}

async function quiz(mnemonic: string, io: Interaction): Promise<void> {
  const wordCount = mnemonic.split(' ').length;
  io.say(`Now type back ${QUIZ_WORDS} of the words to show the backup is complete.`);
  for (const position of quizPositions(wordCount, QUIZ_WORDS)) {
    const typed = (await io.ask(`Word #${position}: `)).normalize('NFKD').trim().toLowerCase();
    if (typed !== wordAt(mnemonic, position)) {
      throw new KuraError('BACKUP_CHECK_FAILED', `word #${position} does not match; nothing was written`, {
        field: 'words',
        position,
      });
    }
  }
}

async function obtainMnemonic(
  options: CreateKeyOptions,
  io: Interaction,
): Promise<{ mnemonic: string; checked: boolean }> {
  if (options.restoreWordsFile !== undefined) {
    return {
      mnemonic: parseMnemonic(readSecretFile(options.restoreWordsFile, 'words-file')),
      checked: false,
    };
  }
  if (!io.interactive && !options.unattended) {
    throw new KuraError(
      'INTERACTIVE_REQUIRED',
      'no terminal for the backup check: a person must type words back, or pass --unattended (no backup check)',
      { field: 'unattended' },
    );
  }
  if (options.unattended && options.wordsOut === undefined) {
    throw new KuraError(
      'INPUT_REQUIRED',
      '--unattended needs --words-out FILE: the words must go somewhere',
      {
        field: 'words-out',
      },
    );
  }
  let dice: string | undefined;
  if (options.dice) {
    if (!io.interactive) {
      throw new KuraError('INTERACTIVE_REQUIRED', '--dice needs a terminal to type the rolls', {
        field: 'dice',
      });
    }
    dice = parseDiceRolls(await io.ask('Type at least 99 die rolls (digits 1–6), then Enter: '));
  }
  const mnemonic = createMnemonic(dice);
  if (options.unattended) return { mnemonic, checked: false };
  showWords(mnemonic, io);
  await quiz(mnemonic, io);
  return { mnemonic, checked: true };
}

export async function createKey(options: CreateKeyOptions, io: Interaction): Promise<CreateKeyResult> {
  const paths = signerPaths(options.home);
  for (const existing of [paths.keystore, paths.cosigner]) {
    if (existsSync(existing)) {
      throw new KuraError(
        'KEYSTORE_EXISTS',
        `"home": ${existing} already exists; a signer home holds one key`,
        {
          field: 'home',
          path: existing,
        },
      );
    }
  }
  const bip39Passphrase =
    options.bip39PassphraseFile === undefined
      ? ''
      : readSecretFile(options.bip39PassphraseFile, 'bip39-passphrase-file');
  const { mnemonic, checked } = await obtainMnemonic(options, io);
  const passphrase = await readNewPassphrase(options, io);

  const keystore: KeystoreFile = sealKeystore(
    { mnemonic, bip39Passphrase },
    passphrase,
    options.network,
    options.account,
  );
  const key = describeSecret({ mnemonic, bip39Passphrase }, options.network, options.account);
  const cosigner = cosignerFileFor(key);

  const dir = ensurePrivateDirectory(options.home);
  if (dir.tightened) io.warn(`${options.home} was readable by others; its mode is now 0700.`);
  if (options.unattended && options.wordsOut !== undefined && options.restoreWordsFile === undefined) {
    writeFileAtomic(options.wordsOut, `${mnemonic}\n`, { exclusive: true, mode: 0o400 });
  }
  writeFileAtomic(paths.keystore, `${JSON.stringify(keystore, null, 2)}\n`, { exclusive: true });
  writeFileAtomic(paths.cosigner, `${JSON.stringify(cosigner, null, 2)}\n`, { exclusive: true });
  if (options.unattended && options.restoreWordsFile === undefined) {
    io.warn(
      `UNATTENDED: no one checked a backup of these words. They are in ${options.wordsOut ?? '(nowhere)'}; ` +
        'copy them to paper and destroy that file before this key holds real coins.',
    );
  }
  return {
    restored: options.restoreWordsFile !== undefined,
    backupChecked: checked,
    keystorePath: paths.keystore,
    cosignerPath: paths.cosigner,
    cosigner,
  };
}

/** The signer's public key, from the keystore header: no passphrase needed. */
export function showKey(home: string): { keystore: KeystoreFile; key: AccountKey; keyOrigin: string } {
  const keystore = loadKeystoreFile(home);
  let key: AccountKey;
  try {
    key = parseKeyOriginString(
      `[${keystore.fingerprint}/${keystore.path.replace(/^m\//, '').replaceAll("'", 'h')}]${keystore.xpub}`,
      keystore.network,
      'keystore',
    );
  } catch (cause) {
    throw new KuraError(
      'KEYSTORE_CORRUPT',
      'the keystore header does not hold a valid account key',
      {},
      cause,
    );
  }
  return { keystore, key, keyOrigin: formatAccountKey(key) };
}

/** Reads the passphrase of an existing keystore: from a file, or typed at a terminal. */
export async function readExistingPassphrase(
  passphraseFile: string | undefined,
  io: Interaction,
): Promise<string> {
  if (passphraseFile !== undefined) return readSecretFile(passphraseFile, 'passphrase-file');
  if (!io.interactive) {
    throw new KuraError(
      'INPUT_REQUIRED',
      'no terminal to type the keystore passphrase: use --passphrase-file',
      {
        field: 'passphrase',
      },
    );
  }
  return io.secret('Keystore passphrase: ');
}

/**
 * Unlocks the keystore and re-derives its key (`kura keys verify`): proves the passphrase and the
 * sealed words still work, without showing the words.
 */
export async function verifyKey(home: string, passphraseFile: string | undefined, io: Interaction) {
  const keystore = loadKeystoreFile(home);
  const passphrase = await readExistingPassphrase(passphraseFile, io);
  openKeystore(keystore, passphrase);
  return showKey(home);
}
