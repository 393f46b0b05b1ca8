// BIP-39 mnemonics: creation from the OS CSPRNG (optionally mixed with dice), validation that
// names what is wrong, and the seed. Wordlist and checksum come from the bip39 package.
import { randomBytes, randomInt } from 'node:crypto';
import * as bip39 from 'bip39';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';

const WORDLIST: readonly string[] = bip39.wordlists.english as string[];
const WORD_SET = new Set(WORDLIST);
export const VALID_WORD_COUNTS = [12, 15, 18, 21, 24] as const;

/** 99 rolls of a fair die carry ~256 bits (99 × log2 6 ≈ 255.9), as much as the mnemonic. */
export const MIN_DICE_ROLLS = 99;

// Domain separation for the dice mix, so this hash is never confused with any other use.
const DICE_MIX_TAG = utf8ToBytes('kura/mnemonic-entropy/v1');

export function parseDiceRolls(text: string): string {
  const rolls = text.replace(/\s+/g, '');
  if (!/^[1-6]*$/.test(rolls)) {
    throw new KuraError('DICE_INVALID', '"dice" may contain only the digits 1 to 6', { field: 'dice' });
  }
  if (rolls.length < MIN_DICE_ROLLS) {
    throw new KuraError(
      'DICE_INVALID',
      `"dice" needs at least ${MIN_DICE_ROLLS} rolls, got ${rolls.length}`,
      {
        field: 'dice',
        rolls: rolls.length,
      },
    );
  }
  return rolls;
}

/**
 * 256 bits of entropy. With dice, SHA-256(tag ‖ csprng ‖ rolls): a weak CSPRNG is rescued by
 * honest dice and a rigged die is hidden by the CSPRNG, so neither source alone decides the key.
 */
export function mixEntropy(csprng: Uint8Array, diceRolls?: string): Uint8Array {
  if (csprng.length !== 32) throw new KuraError('INTERNAL', 'CSPRNG entropy must be 32 bytes');
  if (diceRolls === undefined) return csprng;
  return sha256(concatBytes(DICE_MIX_TAG, csprng, utf8ToBytes(parseDiceRolls(diceRolls))));
}

/** A fresh 24-word mnemonic. `csprng` is injectable for tests only. */
export function createMnemonic(diceRolls?: string, csprng: Uint8Array = randomBytes(32)): string {
  const entropy = mixEntropy(csprng, diceRolls);
  try {
    return bip39.entropyToMnemonic(Buffer.from(entropy));
  } finally {
    // Best effort: JavaScript cannot guarantee that no copy of the entropy remains in memory.
    entropy.fill(0);
    csprng.fill(0);
  }
}

/** Normalises spacing (any whitespace, including U+3000) and refuses with the precise reason. */
export function parseMnemonic(text: string): string {
  const words = text.normalize('NFKD').trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!(VALID_WORD_COUNTS as readonly number[]).includes(words.length)) {
    throw new KuraError(
      'MNEMONIC_WORD_COUNT',
      `"words" must be ${VALID_WORD_COUNTS.join(', ')} words, got ${words.length}`,
      { field: 'words', count: words.length },
    );
  }
  const unknown = words.findIndex((w) => !WORD_SET.has(w));
  if (unknown >= 0) {
    throw new KuraError(
      'MNEMONIC_UNKNOWN_WORD',
      `"words": word ${unknown + 1} is not in the BIP-39 English list`,
      {
        field: 'words',
        position: unknown + 1,
      },
    );
  }
  const mnemonic = words.join(' ');
  if (!bip39.validateMnemonic(mnemonic)) {
    throw new KuraError(
      'MNEMONIC_CHECKSUM',
      '"words": the checksum does not match; a word is wrong or misplaced',
      {
        field: 'words',
      },
    );
  }
  return mnemonic;
}

/** BIP-39 seed; bip39 NFKD-normalises both the mnemonic and the passphrase as the BIP says. */
export function mnemonicToSeed(mnemonic: string, bip39Passphrase: string): Uint8Array {
  return Uint8Array.from(bip39.mnemonicToSeedSync(mnemonic, bip39Passphrase));
}

/** Distinct positions (1-based) for the backup quiz, chosen with the CSPRNG. */
export function quizPositions(wordCount: number, howMany: number, random = randomInt): number[] {
  const picks = new Set<number>();
  while (picks.size < Math.min(howMany, wordCount)) {
    picks.add(random(wordCount));
  }
  return [...picks].sort((a, b) => a - b).map((i) => i + 1);
}

export function wordAt(mnemonic: string, position: number): string {
  return mnemonic.split(' ')[position - 1] ?? '';
}
