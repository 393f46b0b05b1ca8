// PSBT files in and out. kura accepts binary `.psbt` and base64 (what Bitcoin Core and most
// wallets print), refuses anything past a fixed size (THREATS.md #5), and turns every parse
// failure into a code (THREATS.md #1, #2, #4). Parsing itself is bitcoinjs-lib's (bip174).
import { Psbt } from 'bitcoinjs-lib';
import * as varuint from 'varuint-bitcoin';
import { KuraError } from '../errors.js';
import { MAX_MONEY_SAT } from '../approvals/request.js';
import { readBoundedFile } from './readFile.js';

/**
 * A 3,000-input consolidation with full previous transactions is a few megabytes; 64 MiB leaves
 * room for large previous transactions and still refuses a file meant to exhaust memory.
 */
export const MAX_PSBT_BYTES = 64 * 1024 * 1024;

const MAGIC = Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff); // "psbt" 0xff
const GLOBAL_VERSION_KEY = 0xfb; // PSBT_GLOBAL_VERSION (BIP-370 makes it 2)

function startsWithMagic(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

/** Binary PSBT bytes from a file's content: binary as is, base64 text decoded. */
export function psbtBytesFromFile(content: Uint8Array): Uint8Array {
  if (startsWithMagic(content)) return content;
  const text = Buffer.from(content).toString('latin1').trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text, 'base64');
    if (startsWithMagic(decoded)) return decoded;
  }
  throw new KuraError(
    'PSBT_MALFORMED',
    'the file is neither a binary PSBT nor base64 of one (no psbt magic)',
    {
      field: 'psbt',
    },
  );
}

/**
 * Reads PSBT_GLOBAL_VERSION from the global map without interpreting anything else, so that a
 * version-2 PSBT (which bitcoinjs-lib cannot parse) is refused as unsupported rather than
 * malformed. Returns 0 when the field is absent, undefined when the map cannot be walked.
 */
export function peekGlobalVersion(bytes: Uint8Array): number | undefined {
  try {
    let offset = MAGIC.length;
    for (;;) {
      const keyLength = varuint.decode(bytes, offset);
      offset += keyLength.bytes;
      if (keyLength.numberValue === 0) return 0;
      const keyStart = offset;
      offset += Number(keyLength.numberValue);
      const valueLength = varuint.decode(bytes, offset);
      offset += valueLength.bytes;
      const valueStart = offset;
      offset += Number(valueLength.numberValue);
      if (offset > bytes.length) return undefined;
      if (keyLength.numberValue === 1 && bytes[keyStart] === GLOBAL_VERSION_KEY) {
        if (valueLength.numberValue !== 4) return undefined;
        return new DataView(bytes.buffer, bytes.byteOffset + valueStart, 4).getUint32(0, true);
      }
    }
  } catch {
    return undefined;
  }
}

export function decodePsbt(content: Uint8Array): Psbt {
  if (content.length > MAX_PSBT_BYTES) {
    throw new KuraError('PSBT_TOO_LARGE', `the PSBT is ${content.length} bytes, at most ${MAX_PSBT_BYTES}`, {
      field: 'psbt',
      size: content.length,
    });
  }
  const bytes = psbtBytesFromFile(content);
  const version = peekGlobalVersion(bytes);
  if (version !== undefined && version !== 0) {
    throw new KuraError(
      'PSBT_VERSION_UNSUPPORTED',
      `PSBT version ${version} is not supported; kura reads version 0`,
      {
        field: 'PSBT_GLOBAL_VERSION',
        version,
      },
    );
  }
  let psbt: Psbt;
  try {
    psbt = Psbt.fromBuffer(bytes);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/must be unique|duplicate/i.test(message)) {
      throw new KuraError(
        'PSBT_DUPLICATE_KEY',
        `the PSBT repeats a key: ${message}`,
        { field: 'psbt' },
        cause,
      );
    }
    throw new KuraError('PSBT_MALFORMED', `the PSBT does not parse: ${message}`, { field: 'psbt' }, cause);
  }
  checkAmounts(psbt);
  return psbt;
}

function outOfRange(value: bigint): boolean {
  return value < 0n || value > MAX_MONEY_SAT;
}

/**
 * bitcoinjs-lib reads transaction amounts as signed 64-bit integers, so an amount with its top
 * bit set comes back negative and later trips bitcoinjs-lib's own validation with an untyped
 * error (found by test/fuzz/psbt.test.ts). No amount outside 0–21e14 sats is real: refuse it here,
 * where the file enters, for the unsigned transaction's outputs and every witness UTXO.
 */
function checkAmounts(psbt: Psbt): void {
  psbt.txOutputs.forEach((output, i) => {
    if (outOfRange(output.value)) {
      throw new KuraError(
        'PSBT_MALFORMED',
        `output ${i} of the unsigned transaction is ${output.value} sats, outside 0–${MAX_MONEY_SAT}`,
        { field: `outputs[${i}].value` },
      );
    }
  });
  psbt.data.inputs.forEach((input, i) => {
    const value = input.witnessUtxo?.value;
    if (value !== undefined && outOfRange(value)) {
      throw new KuraError(
        'PSBT_MALFORMED',
        `"inputs[${i}].witnessUtxo" is ${value} sats, outside 0–${MAX_MONEY_SAT}`,
        { field: `inputs[${i}].witnessUtxo` },
      );
    }
  });
}

/** A PSBT file's bytes, refusing one past the bound before reading it (PSBT_TOO_LARGE). */
export function readPsbtBytes(path: string): Uint8Array {
  try {
    return readBoundedFile(path, MAX_PSBT_BYTES, 'psbt');
  } catch (cause) {
    if (cause instanceof KuraError && cause.code === 'FILE_TOO_LARGE') {
      throw new KuraError(
        'PSBT_TOO_LARGE',
        `the PSBT file is larger than ${MAX_PSBT_BYTES} bytes`,
        cause.details,
        cause,
      );
    }
    throw cause;
  }
}

export function readPsbtFile(path: string): Psbt {
  return decodePsbt(readPsbtBytes(path));
}

export type PsbtEncoding = 'binary' | 'base64';

/** The encoding a user gave us, so that we answer in kind. */
export function detectEncoding(content: Uint8Array): PsbtEncoding {
  return startsWithMagic(content) ? 'binary' : 'base64';
}

export function encodePsbt(psbt: Psbt, encoding: PsbtEncoding): Uint8Array {
  return encoding === 'binary' ? psbt.toBuffer() : Buffer.from(`${psbt.toBase64()}\n`, 'utf8');
}
