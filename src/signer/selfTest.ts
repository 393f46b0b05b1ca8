// Before kura derives or signs anything it checks its curve library and BIP-32 against known
// answers (as bitcoinjs-lib's testEcc does): a miscompiled wasm module or a swapped dependency
// must stop the ceremony, not quietly produce keys or signatures nobody else can reproduce.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { bip32, ecc } from '../bitcoin/ecc.js';

// BIP-32 test vector 1 (seed 000102…0f): chain m and chain m/0H, as published in BIP-32.
const BIP32_SEED = '000102030405060708090a0b0c0d0e0f';
const BIP32_M_XPUB =
  'xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8';
const BIP32_M_0H_XPUB =
  'xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw';

// RFC 6979 deterministic ECDSA: private key 1, message SHA-256("Satoshi Nakamoto"), the widely
// published secp256k1 test case (also in bitcoinjs-lib's and Trezor's ECDSA fixtures).
const ECDSA_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const ECDSA_MESSAGE = 'Satoshi Nakamoto';
const ECDSA_SIGNATURE =
  '934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8' +
  '2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5';

// BIP-340 test vector 1 (bip-0340/test-vectors.csv, copied in test/vectors/): officers sign
// approvals with these Schnorr signatures, so signing and verifying are checked too.
const SCHNORR_KEY = 'b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef';
const SCHNORR_PUBLIC_KEY = 'dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659';
const SCHNORR_AUX = '0000000000000000000000000000000000000000000000000000000000000001';
const SCHNORR_MESSAGE = '243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89';
const SCHNORR_SIGNATURE =
  '6896bd60eeae296db48a229ff71dfe071bde413e6d43f917dc8dcf8c78de3341' +
  '8906d11ac976abccb20b091292bff4ea897efcb639ea871cfa95f6de339e4b0a';

let passed = false;

function fail(what: string): never {
  throw new KuraError('SELF_TEST_FAILED', `self-test failed: ${what}; refusing to handle keys`, {
    check: what,
  });
}

/** Runs once per process; throws SELF_TEST_FAILED on any wrong answer. */
export function runSelfTest(): void {
  if (passed) return;
  const master = bip32.fromSeed(hexToBytes(BIP32_SEED));
  if (master.neutered().toBase58() !== BIP32_M_XPUB) fail('BIP-32 master key (vector 1, chain m)');
  if (master.deriveHardened(0).neutered().toBase58() !== BIP32_M_0H_XPUB)
    fail('BIP-32 hardened child (vector 1, m/0H)');
  // Public derivation must agree with private derivation.
  const viaPrivate = master.deriveHardened(0).derive(1).publicKey;
  const viaPublic = master.deriveHardened(0).neutered().derive(1).publicKey;
  if (bytesToHex(viaPrivate) !== bytesToHex(viaPublic)) fail('BIP-32 public and private derivation disagree');

  const digest = sha256(utf8ToBytes(ECDSA_MESSAGE));
  const key = hexToBytes(ECDSA_KEY);
  const signature = ecc.sign(digest, key);
  if (bytesToHex(signature) !== ECDSA_SIGNATURE) fail('ECDSA RFC 6979 signature');
  const publicKey = ecc.pointFromScalar(key, true);
  if (publicKey === null || !ecc.verify(digest, publicKey, signature)) fail('ECDSA verification');
  const tampered = Uint8Array.from(signature);
  tampered[63] = (tampered[63] as number) ^ 1;
  if (ecc.verify(digest, publicKey, tampered)) fail('ECDSA verification accepts a tampered signature');
  checkSchnorr();
  passed = true;
}

function checkSchnorr(): void {
  const key = hexToBytes(SCHNORR_KEY);
  const message = hexToBytes(SCHNORR_MESSAGE);
  const xOnly = ecc.xOnlyPointFromScalar(key);
  if (bytesToHex(xOnly) !== SCHNORR_PUBLIC_KEY) fail('BIP-340 x-only public key (vector 1)');
  const signature = ecc.signSchnorr(message, key, hexToBytes(SCHNORR_AUX));
  if (bytesToHex(signature) !== SCHNORR_SIGNATURE) fail('BIP-340 signature (vector 1)');
  if (!ecc.verifySchnorr(message, xOnly, signature)) fail('BIP-340 verification (vector 1)');
  const tampered = Uint8Array.from(signature);
  tampered[63] = (tampered[63] as number) ^ 1;
  if (ecc.verifySchnorr(message, xOnly, tampered)) fail('BIP-340 verification accepts a tampered signature');
  const otherMessage = Uint8Array.from(message);
  otherMessage[0] = (otherMessage[0] as number) ^ 1;
  if (ecc.verifySchnorr(otherMessage, xOnly, signature)) {
    fail('BIP-340 verification accepts a signature for another message');
  }
}
