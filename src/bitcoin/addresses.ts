// Address derivation for a kura wallet. Branch nodes (account/0 and account/1) are derived once
// per deriver and cached, so deriving N addresses costs N child derivations per key, each done by
// a ChildKeyDeriver that parses the branch key once (childKeys.ts).
import { payments } from 'bitcoinjs-lib';
import { KuraError } from '../errors.js';
import { ChildKeyDeriver } from './childKeys.js';
import type { Branch, MultisigWallet } from './descriptor.js';
import { HARDENED } from './keyExpression.js';
import { networkInfo } from './networks.js';

export interface DerivedKey {
  readonly publicKey: Uint8Array;
  readonly fingerprint: string;
  /** Full path from the master key: origin path, branch, index. */
  readonly path: readonly number[];
}

export interface DerivedAddress {
  readonly branch: Branch;
  readonly index: number;
  readonly address: string;
  readonly scriptPubKey: Uint8Array;
  readonly witnessScript: Uint8Array;
  /** In witness-script order (ascending public key). */
  readonly keys: readonly DerivedKey[];
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** The BIP-383 `sortedmulti` script: public keys in ascending byte order, then OP_CHECKMULTISIG. */
export function sortedMultisigScript(threshold: number, publicKeys: readonly Uint8Array[]): Uint8Array {
  const pubkeys = [...publicKeys].sort(compareBytes);
  const script = payments.p2ms({ m: threshold, pubkeys }).output;
  if (script === undefined) throw new KuraError('INTERNAL', 'bitcoinjs-lib returned no multisig script');
  return script;
}

export function checkChildIndex(index: number, field = 'index'): number {
  if (!Number.isSafeInteger(index) || index < 0 || index >= HARDENED) {
    throw new KuraError('ARGUMENT_INVALID', `"${field}" must be an integer from 0 to ${HARDENED - 1}`, {
      field,
    });
  }
  return index;
}

export class WalletDeriver {
  private readonly branchNodes = new Map<Branch, readonly ChildKeyDeriver[]>();
  // Many coins can sit at one address; each (branch, index) is derived once per deriver.
  private readonly derived = new Map<number, DerivedAddress>();

  constructor(readonly wallet: MultisigWallet) {}

  private nodesFor(branch: Branch): readonly ChildKeyDeriver[] {
    let nodes = this.branchNodes.get(branch);
    if (nodes === undefined) {
      nodes = this.wallet.keys.map((k) => new ChildKeyDeriver(k.node.derive(branch)));
      this.branchNodes.set(branch, nodes);
    }
    return nodes;
  }

  derive(branch: Branch, index: number): DerivedAddress {
    checkChildIndex(index);
    const key = branch * HARDENED + index;
    const cached = this.derived.get(key);
    if (cached !== undefined) return cached;
    const address = this.deriveUncached(branch, index);
    this.derived.set(key, address);
    return address;
  }

  private deriveUncached(branch: Branch, index: number): DerivedAddress {
    const nodes = this.nodesFor(branch);
    const keys: DerivedKey[] = this.wallet.keys.map((k, i) => ({
      publicKey: (nodes[i] as ChildKeyDeriver).publicChild(index),
      fingerprint: k.origin.fingerprint,
      path: [...k.origin.path, branch, index],
    }));
    keys.sort((a, b) => compareBytes(a.publicKey, b.publicKey));
    const network = networkInfo(this.wallet.network).bitcoinjs;
    const redeem = payments.p2ms({
      m: this.wallet.threshold,
      pubkeys: keys.map((k) => k.publicKey),
      network,
    });
    const wsh = payments.p2wsh({ redeem, network });
    if (wsh.address === undefined || wsh.output === undefined || redeem.output === undefined) {
      throw new KuraError('INTERNAL', 'bitcoinjs-lib returned no address for a P2WSH script');
    }
    return {
      branch,
      index,
      address: wsh.address,
      scriptPubKey: wsh.output,
      witnessScript: redeem.output,
      keys,
    };
  }

  range(branch: Branch, from: number, count: number): DerivedAddress[] {
    checkChildIndex(from, 'from');
    if (!Number.isSafeInteger(count) || count < 0 || count > 100_000) {
      throw new KuraError('ARGUMENT_INVALID', '"count" must be an integer from 0 to 100000', {
        field: 'count',
      });
    }
    checkChildIndex(from + Math.max(count - 1, 0), 'from + count');
    // A listing walks each address once: no point filling the cache with them.
    return Array.from({ length: count }, (_, i) => this.deriveUncached(branch, from + i));
  }
}
