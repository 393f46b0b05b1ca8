// BIP-143 signature hashes for SIGHASH_ALL, with the three transaction-wide midstates
// (hashPrevouts, hashSequence, hashOutputs) computed once per transaction instead of once per
// input as bitcoinjs-lib's Transaction.hashForWitnessV0 does (quadratic on large consolidations,
// DESIGN.md section 9). A test checks every hash against bitcoinjs-lib's on the same inputs.
import type { Transaction } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import * as varuint from 'varuint-bitcoin';

const SIGHASH_ALL = 1;

function hash256(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

class Writer {
  private readonly view: DataView;
  offset = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u32(v: number): void {
    this.view.setUint32(this.offset, v, true);
    this.offset += 4;
  }
  u64(v: bigint): void {
    this.view.setBigUint64(this.offset, v, true);
    this.offset += 8;
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.offset);
    this.offset += b.length;
  }
  varBytes(b: Uint8Array): void {
    const { bytes } = varuint.encode(b.length, this.bytes, this.offset);
    this.offset += bytes;
    this.raw(b);
  }
}

export class WitnessV0Sighasher {
  private readonly hashPrevouts: Uint8Array;
  private readonly hashSequence: Uint8Array;
  private readonly hashOutputs: Uint8Array;

  constructor(private readonly tx: Transaction) {
    const prevouts = new Writer(new Uint8Array(36 * tx.ins.length));
    const sequences = new Writer(new Uint8Array(4 * tx.ins.length));
    for (const input of tx.ins) {
      prevouts.raw(input.hash);
      prevouts.u32(input.index);
      sequences.u32(input.sequence);
    }
    const outputsSize = tx.outs.reduce(
      (n, o) => n + 8 + varuint.encodingLength(o.script.length) + o.script.length,
      0,
    );
    const outputs = new Writer(new Uint8Array(outputsSize));
    for (const output of tx.outs) {
      outputs.u64(output.value);
      outputs.varBytes(output.script);
    }
    this.hashPrevouts = hash256(prevouts.bytes);
    this.hashSequence = hash256(sequences.bytes);
    this.hashOutputs = hash256(outputs.bytes);
  }

  /** The SIGHASH_ALL hash of input `index` spending `valueSat` locked by `witnessScript`. */
  hash(index: number, witnessScript: Uint8Array, valueSat: bigint): Uint8Array {
    const input = this.tx.ins[index];
    if (input === undefined) throw new RangeError(`no input ${index}`);
    const w = new Writer(
      new Uint8Array(156 + varuint.encodingLength(witnessScript.length) + witnessScript.length),
    );
    w.u32(this.tx.version);
    w.raw(this.hashPrevouts);
    w.raw(this.hashSequence);
    w.raw(input.hash);
    w.u32(input.index);
    w.varBytes(witnessScript);
    w.u64(valueSat);
    w.u32(input.sequence);
    w.raw(this.hashOutputs);
    w.u32(this.tx.locktime);
    w.u32(SIGHASH_ALL);
    return hash256(w.bytes.subarray(0, w.offset));
  }
}
