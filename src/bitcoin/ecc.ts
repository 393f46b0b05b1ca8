// The one place where kura chooses its secp256k1 implementation. bitcoinjs-lib and bip32 take
// the curve as a parameter; kura gives them tiny-secp256k1 (libsecp256k1 compiled to wasm, the
// curve code Bitcoin Core runs), chosen by measurement (README, "Speed"). Everything else imports
// `ecc` and `bip32` from here so a swap stays a one-line change, and `selfTest` checks it.
import * as ecc from 'tiny-secp256k1';
import { BIP32Factory, type BIP32API, type BIP32Interface } from 'bip32';
import { initEccLib } from 'bitcoinjs-lib';

export { ecc };
export type { BIP32Interface };
export const bip32: BIP32API = BIP32Factory(ecc);
// bitcoinjs-lib needs the curve to turn taproot (bc1p) destinations into scripts.
initEccLib(ecc);
