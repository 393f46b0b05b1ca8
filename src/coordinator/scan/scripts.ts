// The wallet's scriptPubKeys, derived once and looked up in O(1). The cache only grows; a lookup
// answers only inside the window of the address book it is given, so results never depend on
// what was derived for an earlier, larger book.
import { bytesToHex } from '@noble/hashes/utils.js';
import { WalletDeriver } from '../../bitcoin/addresses.js';
import type { Branch, MultisigWallet } from '../../bitcoin/descriptor.js';
import { BRANCHES, watchedUpTo, type AddressBook } from './book.js';

export interface ScriptOwner {
  readonly branch: Branch;
  readonly index: number;
}

/** P2WSH: OP_0 PUSH32 <sha256(witnessScript)>. Every kura script has this shape. */
export function isP2wsh(script: Uint8Array): boolean {
  return script.length === 34 && script[0] === 0x00 && script[1] === 0x20;
}

export class WalletScripts {
  private readonly deriver: WalletDeriver;
  private readonly owners = new Map<string, ScriptOwner>();
  private readonly derivedUpTo: Record<Branch, number> = { 0: -1, 1: -1 };

  constructor(readonly wallet: MultisigWallet) {
    this.deriver = new WalletDeriver(wallet);
  }

  /** Derives every index the book watches that is not derived yet. */
  cover(book: AddressBook): void {
    for (const branch of BRANCHES) {
      const upTo = watchedUpTo(book, branch);
      for (let index = this.derivedUpTo[branch] + 1; index <= upTo; index++) {
        const derived = this.deriver.derive(branch, index);
        this.owners.set(bytesToHex(derived.scriptPubKey), { branch, index });
        this.derivedUpTo[branch] = index;
      }
    }
  }

  /** Who owns `script`, if it is one of the wallet's scripts inside the book's window. */
  lookup(script: Uint8Array, book: AddressBook): ScriptOwner | undefined {
    if (!isP2wsh(script)) return undefined;
    const owner = this.owners.get(bytesToHex(script));
    if (owner === undefined || owner.index > watchedUpTo(book, owner.branch)) return undefined;
    return owner;
  }
}
