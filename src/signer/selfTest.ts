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
  passed = true;
}
