// `kura audit reserves finalize`, on the coordinator: the signers' files combined into the proof
// file. Every signed file must carry the package's very transaction; every partial signature is
// verified before it is used; each coin's input is finalized as a P2WSH multisig (bitcoinjs-lib's
// payments build the witness from M signatures in script order); the commitment input stays
// empty. bitcoinjs-lib's extractTransaction refuses a PSBT with an unfinalized input, so the
// transaction is assembled here from the unsigned transaction and those witnesses, and checked
// again as a whole before the file is written.
import { bytesToHex } from '@noble/hashes/utils.js';
import { payments, script as bjsScript, type Psbt, type Transaction } from 'bitcoinjs-lib';
import { KuraError } from '../../errors.js';
import { ecc } from '../../bitcoin/ecc.js';
import { WitnessV0Sighasher } from '../../bitcoin/sighash.js';
import { writeFileAtomic } from '../../artifacts/atomicWrite.js';
import { checkProofMessage } from '../../artifacts/buildProof.js';
import { readPackage } from '../../artifacts/kuraFields.js';
import { decodePsbt, readPsbtBytes } from '../../artifacts/psbtFile.js';
import { unsignedTransaction } from '../../signer/produceSignatures.js';
import { openCoordinatorHome } from '../../coordinator/home.js';
import {
  checkCoinList,
  checkCommitment,
  checkInputSignatures,
  checkSingleOutput,
  type Prevout,
} from './checkTransaction.js';
import { blockOfMessage, type ProofBlock } from './message.js';
import { proofFileOf, type ProofCoinMeta, type ReservesProof } from './proofFile.js';

export interface FinalizeOptions {
  readonly home: string;
  readonly packagePath: string;
  readonly signedPaths: readonly string[];
  /** The proof file to write; never overwritten. */
  readonly out: string;
}

export interface FinalizeResult {
  readonly out: string;
  readonly txid: string;
  readonly message: string;
  readonly block: ProofBlock;
  readonly coins: number;
  readonly totalSat: bigint;
}

const SIGHASH_ALL = 1;
const displayTxid = (hash: Uint8Array): string => bytesToHex(Uint8Array.from(hash).reverse());

/** The package's committed message and the block it names (the coordinator wrote both). */
function packageMessage(psbt: Psbt, tx: Transaction): { message: string; block: ProofBlock } {
  const message = checkProofMessage(psbt.data.inputs[0]?.porCommitment, 'inputs[0].porCommitment');
  checkCommitment(tx, message);
  const block = blockOfMessage(message);
  if (block === undefined) {
    throw new KuraError(
      'PROOF_BLOCK_MISMATCH',
      'the package message names no block ("… — block <height> <hash>")',
      {
        field: 'inputs[0].porCommitment',
      },
    );
  }
  return { message, block };
}

/** The package's coins as the package itself carries them (value and script per input 1…n). */
function packagePrevouts(psbt: Psbt): { prevouts: Prevout[]; witnessScripts: Uint8Array[] } {
  const prevouts: Prevout[] = [];
  const witnessScripts: Uint8Array[] = [];
  psbt.data.inputs.slice(1).forEach((input, i) => {
    const { witnessUtxo, witnessScript } = input;
    if (witnessUtxo === undefined || witnessScript === undefined) {
      throw new KuraError('PACKAGE_INVALID', `"inputs[${i + 1}]" lacks its witness UTXO or witness script`, {
        field: `inputs[${i + 1}]`,
      });
    }
    prevouts.push({ valueSat: witnessUtxo.value, script: witnessUtxo.script });
    witnessScripts.push(witnessScript);
  });
  return { prevouts, witnessScripts };
}

/** Every verified partial signature of every signed file, per input and public key (hex). */
function collectSignatures(
  files: readonly SignedProofFile[],
  unsigned: Transaction,
  witnessScripts: readonly Uint8Array[],
  prevouts: readonly Prevout[],
): Map<number, Map<string, Uint8Array>> {
  const expected = Buffer.from(unsigned.toBuffer());
  const sighasher = new WitnessV0Sighasher(unsigned);
  const byInput = new Map<number, Map<string, Uint8Array>>();
  for (const { path, psbt: signed } of files) {
    if (!expected.equals(Buffer.from(unsignedTransaction(signed).toBuffer()))) {
      throw new KuraError(
        'PROOF_SIGNED_MISMATCH',
        `${path} is signed for another transaction than the package`,
        {
          field: 'signed',
          path,
        },
      );
    }
    signed.data.inputs.forEach((input, index) => {
      for (const { pubkey, signature } of input.partialSig ?? []) {
        const fail = (why: string) =>
          new KuraError('PROOF_SIGNATURE_INVALID', `${path}: input ${index} ${why}`, {
            field: `inputs[${index}].partialSig`,
            path,
            input: index,
          });
        if (index === 0) throw fail('is the commitment and must stay unsigned');
        const witnessScript = witnessScripts[index - 1] as Uint8Array;
        const prevout = prevouts[index - 1] as Prevout;
        let decoded: { signature: Uint8Array; hashType: number };
        try {
          decoded = bjsScript.signature.decode(signature);
        } catch {
          throw fail('carries a signature that is not strict DER');
        }
        const hash = sighasher.hash(index, witnessScript, prevout.valueSat);
        if (decoded.hashType !== SIGHASH_ALL || !ecc.verify(hash, pubkey, decoded.signature, true))
          throw fail(`carries a signature by ${bytesToHex(pubkey)} that does not verify with SIGHASH_ALL`);
        const keys = byInput.get(index) ?? new Map<string, Uint8Array>();
        keys.set(bytesToHex(pubkey), signature);
        byInput.set(index, keys);
      }
    });
  }
  return byInput;
}

/** The witness of input `index`: M signatures in the script's key order, built by bitcoinjs-lib. */
function multisigWitness(
  index: number,
  witnessScript: Uint8Array,
  signatures: ReadonlyMap<string, Uint8Array> | undefined,
): Uint8Array[] {
  const { m, pubkeys } = payments.p2ms({ output: witnessScript });
  if (m === undefined || pubkeys === undefined)
    throw new KuraError('INTERNAL', 'a multisig script without keys');
  const chosen = pubkeys
    .map((key) => signatures?.get(bytesToHex(key)))
    .filter((s): s is Uint8Array => s !== undefined)
    .slice(0, m);
  if (chosen.length < m) {
    throw new KuraError(
      'PROOF_SIGNATURES_MISSING',
      `input ${index} has ${chosen.length} of the ${m} signatures its ${m}-of-${pubkeys.length} script needs`,
      { field: `inputs[${index}].partialSig`, input: index, have: chosen.length, need: m },
    );
  }
  const witness = payments.p2wsh({
    redeem: payments.p2ms({ output: witnessScript, signatures: chosen }),
  }).witness;
  if (witness === undefined) throw new KuraError('INTERNAL', 'bitcoinjs-lib built no P2WSH witness');
  return witness;
}

export interface SignedProofFile {
  /** Where it came from, for messages. */
  readonly path: string;
  readonly psbt: Psbt;
}

export interface AssembledProof {
  /** The finished proof transaction: witnesses on every coin input, none on the commitment. */
  readonly tx: Transaction;
  readonly message: string;
  readonly block: ProofBlock;
  /** The coins' outputs as the package carries them, for inputs 1…n. */
  readonly prevouts: readonly Prevout[];
}

/** The pure part of finalize: the package and the signed files in, the checked transaction out. */
export function assembleProof(psbt: Psbt, signed: readonly SignedProofFile[]): AssembledProof {
  if (signed.length === 0)
    throw new KuraError(
      'INPUT_REQUIRED',
      'finalize needs the signed files (--signed FILE, once per signer)',
      {
        field: 'signed',
      },
    );
  const pkg = readPackage(psbt);
  if (pkg.header.purpose !== 'reserves') {
    throw new KuraError(
      'PACKAGE_INVALID',
      `package purpose "${pkg.header.purpose}" is not a proof of reserves`,
      {
        field: 'header.purpose',
      },
    );
  }
  const tx = unsignedTransaction(psbt);
  const { message, block } = packageMessage(psbt, tx);
  const { prevouts, witnessScripts } = packagePrevouts(psbt);
  const signatures = collectSignatures(signed, unsignedTransaction(psbt), witnessScripts, prevouts);
  witnessScripts.forEach((witnessScript, i) =>
    tx.setWitness(i + 1, multisigWitness(i + 1, witnessScript, signatures.get(i + 1))),
  );
  const totalSat = prevouts.reduce((sum, p) => sum + p.valueSat, 0n);
  // The finished transaction, checked as the auditor will check it.
  checkCommitment(tx, message);
  checkSingleOutput(tx, totalSat);
  checkInputSignatures(tx, prevouts);
  return { tx, message, block, prevouts };
}

export function finalizeProof(options: FinalizeOptions): FinalizeResult {
  const home = openCoordinatorHome(options.home);
  try {
    const psbt = decodePsbt(readPsbtBytes(options.packagePath));
    if (readPackage(psbt).header.walletId !== home.wallet.id) {
      throw new KuraError(
        'PACKAGE_WALLET_MISMATCH',
        "the package is for another wallet than the coordinator's",
        {
          field: 'header.walletId',
        },
      );
    }
    const signed = options.signedPaths.map((path) => ({ path, psbt: decodePsbt(readPsbtBytes(path)) }));
    const { tx, message, block, prevouts } = assembleProof(psbt, signed);

    // Where each coin was made, as the coordinator's store recorded it from the node.
    const coins: ProofCoinMeta[] = tx.ins.slice(1).map((input, i) => {
      const outpoint = { txid: displayTxid(input.hash), vout: input.index };
      const stored = home.store.coin(outpoint);
      if (
        stored === undefined ||
        stored.height === null ||
        stored.blockHash === null ||
        stored.height > block.height
      ) {
        throw new KuraError(
          'PROOF_COIN_MISMATCH',
          `the coordinator knows no block at or below ${block.height} for coin ${outpoint.txid}:${outpoint.vout}`,
          { field: 'coins', coin: i },
        );
      }
      return {
        ...outpoint,
        valueSat: (prevouts[i] as Prevout).valueSat,
        blockHash: stored.blockHash,
        height: stored.height,
      };
    });
    checkCoinList(tx, coins);
    const totalSat = coins.reduce((sum, c) => sum + c.valueSat, 0n);

    const network = home.wallet.wallet.network;
    const proof: ReservesProof = { network, message, block, proofTx: tx.toBuffer(), coins };
    writeFileAtomic(options.out, `${JSON.stringify(proofFileOf(proof), null, 2)}\n`, {
      exclusive: true,
      mode: 0o644,
    });
    const txid = tx.getId();
    home.store.audit('reserves.finalize', {
      txid,
      message,
      block,
      coins: coins.length,
      totalSat: totalSat.toString(),
      signedFiles: options.signedPaths.length,
    });
    return { out: options.out, txid, message, block, coins: coins.length, totalSat };
  } finally {
    home.close();
  }
}
