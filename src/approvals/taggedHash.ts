// BIP-340 tagged hashes: SHA-256(SHA-256(tag) ‖ SHA-256(tag) ‖ message). A hash made under one
// tag can never be mistaken for a hash under another, so an approval can never be replayed as
// some other kind of signature.
//
// node:crypto's SHA-256 with the tag's 64-byte prefix hashed once and its state copied per call:
// intake makes one request digest per withdrawal, and this takes a third of the time of hashing
// the prefix again with @noble/hashes (test/unit/approval-vectors.test.ts pins the digests).
import { createHash, type Hash } from 'node:crypto';

const prefixed = new Map<string, Hash>();

export function taggedHash(tag: string, message: Uint8Array): Uint8Array {
  let state = prefixed.get(tag);
  if (state === undefined) {
    const tagHash = createHash('sha256').update(tag, 'utf8').digest();
    state = createHash('sha256').update(tagHash).update(tagHash);
    prefixed.set(tag, state);
  }
  return new Uint8Array(state.copy().update(message).digest());
}
