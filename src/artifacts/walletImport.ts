// Other wallets' multisig configurations read into a kura wallet: Caravan's wallet configuration
// (JSON) and the Coldcard multisig setup file that Sparrow also writes (text, or one descriptor).
// Each becomes the same cosigner list `kura wallet create` takes, and goes through createWallet,
// so an imported wallet has the id the same cosigners would get there. Anything kura cannot
// represent exactly is refused rather than approximated: a wallet that derived other addresses
// than the original would receive coins nobody watches. Field lists: docs/interop.md.
import { KuraError } from '../errors.js';
import { parseMultisigDescriptor } from '../bitcoin/descriptor.js';
import {
  formatAccountKey,
  formatPath,
  guessKeyNetwork,
  parseKeyOriginString,
  parsePathWithRoot,
} from '../bitcoin/keyExpression.js';
import { NETWORK_NAMES, type NetworkName } from '../bitcoin/networks.js';
import { createWallet } from './walletCreate.js';
import type { WalletFile } from './walletFile.js';

export const IMPORT_FORMATS = ['caravan', 'coldcard'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export function parseImportFormat(value: unknown): ImportFormat {
  if (typeof value === 'string' && (IMPORT_FORMATS as readonly string[]).includes(value)) {
    return value as ImportFormat;
  }
  throw new KuraError('ARGUMENT_INVALID', `"format" must be one of ${IMPORT_FORMATS.join(', ')}`, {
    field: 'format',
  });
}

/** What an imported file says: the input of `kura wallet create`, less the name. */
export interface ImportedCosigners {
  readonly threshold: number;
  /** `[fingerprint/path]xpub` strings, in the file's order. */
  readonly cosigners: readonly string[];
  readonly network: NetworkName;
  /** The name the file gives the wallet, for display; kura's name is chosen on import. */
  readonly sourceName?: string | undefined;
}

function malformed(field: string, why: string): KuraError {
  return new KuraError('WALLET_IMPORT_INVALID', `"${field}" ${why}`, { field });
}

function unsupported(field: string, why: string): KuraError {
  return new KuraError('WALLET_IMPORT_UNSUPPORTED', `"${field}" ${why}`, { field });
}

function originMissing(field: string, why: string): KuraError {
  return new KuraError('KEY_ORIGIN_MISSING', `"${field}" ${why}`, { field });
}

// Caravan writes 00000000 for a key whose master fingerprint it does not know (selectors/wallet.ts).
const UNKNOWN_FINGERPRINT = '00000000';

function checkFingerprint(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || /^unknown$/i.test(value)) {
    throw originMissing(field, 'has no master fingerprint; kura needs every key with its origin');
  }
  if (!/^[0-9a-fA-F]{8}$/.test(value)) throw malformed(field, 'must be 8 hex characters');
  if (value === UNKNOWN_FINGERPRINT) {
    throw originMissing(field, 'is 00000000, the placeholder for an unknown master fingerprint');
  }
  return value.toLowerCase();
}

/** `m/48'/1'/0'/2'` (also with h or H) as kura's `48h/1h/0h/2h`; field-named refusals. */
function checkPath(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || !/^m(\/|$)/i.test(value.trim())) {
    throw originMissing(field, 'has no derivation path (m/…); kura needs every key with its origin');
  }
  try {
    return formatPath(parsePathWithRoot(value.trim().replace(/^M/, 'm').replace(/H/g, 'h'), field));
  } catch (cause) {
    throw new KuraError('WALLET_IMPORT_INVALID', `"${field}" is not a derivation path`, { field }, cause);
  }
}

function keyOrigin(fingerprint: string, path: string, key: string): string {
  return path === '' ? `[${fingerprint}]${key}` : `[${fingerprint}/${path}]${key}`;
}

/** The network test keys cannot name themselves; as `kura wallet create` decides it. */
function decideNetwork(firstKey: string | undefined, given: NetworkName | undefined): NetworkName {
  if (given !== undefined) return given;
  if (firstKey !== undefined && guessKeyNetwork(firstKey) === 'mainnet') return 'mainnet';
  throw new KuraError('INPUT_REQUIRED', 'test-network keys do not say which network: add --network', {
    field: 'network',
  });
}

/** Parses every key once here so that a refusal names the field of the imported file. */
function checkKeys(cosigners: readonly string[], network: NetworkName, fields: readonly string[]): void {
  cosigners.forEach((text, i) => parseKeyOriginString(text, network, fields[i] ?? `key ${i + 1}`));
}

// ---------------------------------------------------------------------------------------------
// Caravan

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(field, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function asCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw malformed(field, 'must be a whole number');
  }
  return value;
}

/**
 * Caravan's wallet configuration (its coordinator's "download wallet details" file). Only
 * P2WSH is kura's; Caravan's networks are named as kura names them.
 */
export function parseCaravanConfig(json: unknown, network?: NetworkName): ImportedCosigners {
  const o = asRecord(json, 'caravan config');
  if (typeof o.addressType !== 'string') throw malformed('addressType', 'must be a string such as "P2WSH"');
  if (o.addressType.toUpperCase() !== 'P2WSH') {
    throw unsupported('addressType', `is ${o.addressType}; kura wallets are P2WSH (native segwit) only`);
  }
  if (typeof o.network !== 'string') throw malformed('network', 'must be a string such as "mainnet"');
  if (!(NETWORK_NAMES as readonly string[]).includes(o.network)) {
    throw unsupported('network', `"${o.network}" is not one of ${NETWORK_NAMES.join(', ')}`);
  }
  const fileNetwork = o.network as NetworkName;
  if (network !== undefined && network !== fileNetwork) {
    throw new KuraError(
      'NETWORK_MISMATCH',
      `"network": the file is for ${fileNetwork}, --network says ${network}`,
      {
        field: 'network',
      },
    );
  }
  const quorum = asRecord(o.quorum, 'quorum');
  const threshold = asCount(quorum.requiredSigners, 'quorum.requiredSigners');
  const total = asCount(quorum.totalSigners, 'quorum.totalSigners');
  if (!Array.isArray(o.extendedPublicKeys) || o.extendedPublicKeys.length === 0) {
    throw malformed('extendedPublicKeys', 'must be a non-empty list');
  }
  if (total !== o.extendedPublicKeys.length) {
    throw malformed(
      'quorum.totalSigners',
      `is ${total} but the file lists ${o.extendedPublicKeys.length} keys`,
    );
  }
  if (o.startingAddressIndex !== undefined) asCount(o.startingAddressIndex, 'startingAddressIndex');
  const fields: string[] = [];
  const cosigners = o.extendedPublicKeys.map((entry: unknown, i) => {
    const field = `extendedPublicKeys[${i}]`;
    const key = asRecord(entry, field);
    if (typeof key.xpub !== 'string' || key.xpub === '') throw malformed(`${field}.xpub`, 'must be a string');
    const fingerprint = checkFingerprint(key.xfp, `${field}.xfp`);
    const path = checkPath(key.bip32Path, `${field}.bip32Path`);
    fields.push(field);
    return keyOrigin(fingerprint, path, key.xpub.trim());
  });
  checkKeys(cosigners, fileNetwork, fields);
  return {
    threshold,
    cosigners,
    network: fileNetwork,
    sourceName: typeof o.name === 'string' ? o.name : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Coldcard (and Sparrow, which writes the same file)

const SCRIPT_FORMATS_NOT_OURS = new Set(['p2sh', 'p2sh-p2wsh', 'p2wsh-p2sh']);

/**
 * Coldcard's comment rule (shared/multisig.py, from_simple_text): a line starting with # is a
 * comment; elsewhere # starts one unless a digit follows it.
 */
function stripComment(line: string): string {
  const at = line.indexOf('#');
  if (at === 0) return '';
  if (at > 0 && !/\d/.test(line.charAt(at + 1))) return line.slice(0, at);
  return line;
}

interface ColdcardLine {
  readonly number: number;
  readonly text: string;
}

// Sparrow writes a wallet whose keys have different paths with one `# derivation: m/…` comment
// before each key (ColdcardMultisig.java); it reads those back, and so does kura.
const SPARROW_DERIVATION_COMMENT = /^#\s*derivation\s*:/i;

function meaningfulLines(text: string): ColdcardLine[] {
  return text
    .split(/\r?\n/)
    .map((raw, i) => {
      const line = raw.trim();
      const text = SPARROW_DERIVATION_COMMENT.test(line) ? line.replace(/^#\s*/, '') : stripComment(line);
      return { number: i + 1, text: text.trim() };
    })
    .filter((l) => l.text !== '');
}

/** A setup file that is one output descriptor (Coldcard and Sparrow both write those). */
function parseColdcardDescriptor(text: string, network: NetworkName | undefined): ImportedCosigners {
  const field = 'descriptor';
  if (/^sh\(/.test(text)) throw unsupported(field, 'is P2SH or P2SH-P2WSH; kura wallets are P2WSH only');
  if (!/^wsh\(/.test(text)) throw unsupported(field, 'is not a wsh(…) multisig descriptor');
  if (/^wsh\(multi\(/.test(text)) {
    throw unsupported(
      field,
      'is multi(), whose addresses depend on key order; kura wallets are sortedmulti()',
    );
  }
  const firstKey = /\]([1-9A-HJ-NP-Za-km-z]{100,120})/.exec(text)?.[1];
  const decided = decideNetwork(firstKey, network);
  const { wallet } = parseMultisigDescriptor(text, decided);
  return { threshold: wallet.threshold, cosigners: wallet.keys.map(formatAccountKey), network: decided };
}

/**
 * The Coldcard multisig setup file: `Name:`, `Policy: M of N`, `Format: P2WSH`, `Derivation:`
 * (applies to the keys after it; Sparrow's `# derivation:` too) and `XFP: xpub` lines. Coldcard reads a file without `Format`
 * as P2SH, so kura refuses one. Lines Coldcard would ignore are refused here: a mangled key line
 * must not vanish silently.
 */
export function parseColdcardSetup(text: string, network?: NetworkName): ImportedCosigners {
  const lines = meaningfulLines(text);
  const first = lines[0];
  if (first === undefined) throw malformed('file', 'is empty');
  if (lines.length === 1 && /^[a-z]+\(/.test(first.text)) return parseColdcardDescriptor(first.text, network);

  let name: string | undefined;
  let policy: { m: number; n: number; line: number } | undefined;
  let format: string | undefined;
  let derivation: string | undefined;
  const keys: { fingerprint: string; xpub: string; field: string; path: string }[] = [];
  for (const { number, text: line } of lines) {
    const field = `line ${number}`;
    const colon = line.indexOf(':');
    if (colon < 0) {
      if (/pub/.test(line)) throw originMissing(field, 'is a key without its master fingerprint (XFP: key)');
      throw malformed(field, 'is not "Label: value"');
    }
    const label = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (label === 'name') {
      if (name !== undefined) throw malformed(field, 'repeats Name');
      name = value;
    } else if (label === 'policy') {
      const match = /^(\d{1,3})\s*(?:of|\/|,|\s)\s*(\d{1,3})$/i.exec(value);
      if (policy !== undefined || !match) throw malformed(`${field} (Policy)`, 'must be "M of N", once');
      policy = { m: Number(match[1]), n: Number(match[2]), line: number };
    } else if (label === 'format') {
      const lower = value.toLowerCase();
      if (SCRIPT_FORMATS_NOT_OURS.has(lower)) {
        throw unsupported(`${field} (Format)`, `is ${value}; kura wallets are P2WSH only`);
      }
      if (lower !== 'p2wsh' || format !== undefined)
        throw malformed(`${field} (Format)`, 'must be P2WSH, once');
      format = lower;
    } else if (label === 'derivation') {
      derivation = checkPath(value, `${field} (Derivation)`);
    } else if (/^[0-9a-f]{8}$/.test(label)) {
      if (derivation === undefined) {
        throw originMissing(field, 'comes before any "Derivation:" line, so its path is unknown');
      }
      keys.push({ fingerprint: checkFingerprint(label, field), xpub: value, field, path: derivation });
    } else {
      throw malformed(field, `has an unknown label "${line.slice(0, colon).trim()}"`);
    }
  }
  if (format === undefined) {
    throw unsupported('Format', 'is missing, which Coldcard reads as P2SH; kura wallets are P2WSH');
  }
  if (keys.length === 0) throw malformed('file', 'lists no keys ("XFP: xpub" lines)');
  // Coldcard's rule: without a Policy line the wallet is N-of-N.
  const threshold = policy?.m ?? keys.length;
  if (policy !== undefined && policy.n !== keys.length) {
    throw malformed(
      `line ${policy.line} (Policy)`,
      `says ${policy.n} keys but the file lists ${keys.length}`,
    );
  }
  const decided = decideNetwork(keys[0]?.xpub, network);
  const cosigners = keys.map((k) => keyOrigin(k.fingerprint, k.path, k.xpub));
  checkKeys(
    cosigners,
    decided,
    keys.map((k) => k.field),
  );
  return { threshold, cosigners, network: decided, sourceName: name };
}

// ---------------------------------------------------------------------------------------------

export interface ImportOptions {
  readonly name: string;
  /** Needed when a Coldcard file holds test-network keys; must agree with a Caravan file. */
  readonly network?: NetworkName | undefined;
}

/** Reads `content` in `format` and builds the kura wallet file, as `kura wallet create` would. */
export function importWallet(content: string, format: ImportFormat, options: ImportOptions): WalletFile {
  let imported: ImportedCosigners;
  if (format === 'caravan') {
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch (cause) {
      throw new KuraError(
        'JSON_MALFORMED',
        '"in": the Caravan file is not valid JSON',
        { field: 'in' },
        cause,
      );
    }
    imported = parseCaravanConfig(json, options.network);
  } else {
    imported = parseColdcardSetup(content, options.network);
  }
  return createWallet({
    threshold: imported.threshold,
    cosigners: imported.cosigners,
    name: options.name,
    network: imported.network,
  });
}
