// BIP-340 tagged hashes: SHA-256(SHA-256(tag) ‖ SHA-256(tag) ‖ message). A hash made under one
// tag can never be mistaken for a hash under another, so an approval can never be replayed as
// some other kind of signature.
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const prefixes = new Map<string, Uint8Array>();

export function taggedHash(tag: string, message: Uint8Array): Uint8Array {
  let prefix = prefixes.get(tag);
  if (prefix === undefined) {
    const tagHash = sha256(utf8ToBytes(tag));
    prefix = concatBytes(tagHash, tagHash);
    prefixes.set(tag, prefix);
  }
  return sha256(concatBytes(prefix, message));
}
