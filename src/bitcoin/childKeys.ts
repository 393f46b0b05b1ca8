// BIP-32 non-hardened child derivation for many children of one parent, built from the same
// libsecp256k1 and HMAC-SHA512 that bip32 uses. The only difference is where the work goes:
// bip32's derive() re-parses the compressed parent key for every child (a field square root each
// time) inside pointAddScalar; here the parent is parsed once, kept uncompressed, and each child is
// parent + IL·G. Measured on two cores: 250 → 130 µs per child (README, "Speed"). A property test
// checks every child against bip32's own derive().
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ecc, type BIP32Interface } from './ecc.js';
import { HARDENED } from './keyExpression.js';

export class ChildKeyDeriver {
  private readonly parentUncompressed: Uint8Array;
  private readonly data = new Uint8Array(37);
  private readonly view = new DataView(this.data.buffer);

  constructor(private readonly parent: BIP32Interface) {
    this.parentUncompressed = ecc.pointCompress(parent.publicKey, false);
    this.data.set(parent.publicKey, 0);
  }

  /**
   * IL of child `index`: HMAC-SHA512(chain code, serP(parent) ‖ ser32(index))[0..32], or undefined
   * in the BIP-32 case "IL ≥ n" (probability below 2⁻¹²⁷), which callers hand back to bip32.
   */
  tweak(index: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(index) || index < 0 || index >= HARDENED) {
      throw new RangeError(`child index ${index} is not a non-hardened index`);
    }
    this.view.setUint32(33, index, false);
    const il = hmac(sha512, this.parent.chainCode, this.data).subarray(0, 32);
    return ecc.isPrivate(il) ? il : undefined;
  }

  /** The compressed public key of child `index`. */
  publicChild(index: number): Uint8Array {
    const il = this.tweak(index);
    const point = il === undefined ? null : ecc.pointFromScalar(il, false);
    const child = point === null ? null : ecc.pointAdd(this.parentUncompressed, point, true);
    return child ?? this.parent.derive(index).publicKey;
  }

  /**
   * The private key of child `index`, given the parent's private key (the caller has checked that
   * it belongs to this parent's public key): parent + IL mod n, no point multiplication at all.
   */
  privateChild(parentPrivateKey: Uint8Array, index: number): Uint8Array {
    const il = this.tweak(index);
    const child = il === undefined ? null : ecc.privateAdd(parentPrivateKey, il);
    if (child !== null) return child;
    const fallback = this.parent.derive(index).privateKey;
    if (fallback === undefined) throw new RangeError('the parent node holds no private key');
    return fallback;
  }
}
