// The reserves proof file an auditor receives: JSON standing in for BIP-127's protobuf
// ProofOfReserves with one FinalProof (docs/reserves.md maps the fields):
//
//   {kind: "kura-reserves-proof", version: 1, network, message, block: {height, hash},
//    proofTx: "<hex of the signed transaction>", coins: [{txid, vout, valueSat, blockHash, height}]}
//
// Amounts are decimal strings of sats (a JSON number loses precision above 2^53). Every field is
// checked here, once, with RESERVES_PROOF_INVALID naming it; what the fields claim is checked by
// verify.ts against the auditor's own node.
import { KuraError } from '../../errors.js';
import { NETWORK_NAMES, type NetworkName } from '../../bitcoin/networks.js';
import { checkProofMessage } from '../../artifacts/buildProof.js';
import { fieldReaders } from './fieldReaders.js';
import type { ProofBlock } from './message.js';

export const PROOF_FILE_KIND = 'kura-reserves-proof';
export const PROOF_FILE_VERSION = 1;
/** A 3,000-coin proof is under 1 MB of hex; a file past 64 MiB is not a proof. */
export const MAX_PROOF_FILE_BYTES = 64 * 1024 * 1024;
/** Coins per proof: far above a 100,000-vbyte transaction's ~1,000 P2WSH inputs, a guard only. */
const MAX_COINS = 100_000;

export interface ProofCoinMeta {
  readonly txid: string;
  readonly vout: number;
  readonly valueSat: bigint;
  /** The block that holds the transaction creating the coin (BIP-127's OutputMeta.block_hash). */
  readonly blockHash: string;
  readonly height: number;
}

export interface ReservesProof {
  readonly network: NetworkName;
  readonly message: string;
  readonly block: ProofBlock;
  /** The signed proof transaction, serialized with witnesses. */
  readonly proofTx: Uint8Array;
  readonly coins: readonly ProofCoinMeta[];
}

export interface ReservesProofFile {
  readonly kind: typeof PROOF_FILE_KIND;
  readonly version: typeof PROOF_FILE_VERSION;
  readonly network: NetworkName;
  readonly message: string;
  readonly block: { readonly height: number; readonly hash: string };
  readonly proofTx: string;
  readonly coins: readonly {
    readonly txid: string;
    readonly vout: number;
    readonly valueSat: string;
    readonly blockHash: string;
    readonly height: number;
  }[];
}

export function proofFileOf(proof: ReservesProof): ReservesProofFile {
  return {
    kind: PROOF_FILE_KIND,
    version: PROOF_FILE_VERSION,
    network: proof.network,
    message: proof.message,
    block: { height: proof.block.height, hash: proof.block.hash },
    proofTx: Buffer.from(proof.proofTx).toString('hex'),
    coins: proof.coins.map((c) => ({
      txid: c.txid,
      vout: c.vout,
      valueSat: c.valueSat.toString(),
      blockHash: c.blockHash,
      height: c.height,
    })),
  };
}

const { invalid, object, hash, integer, sats } = fieldReaders('RESERVES_PROOF_INVALID', 'reserves proof');

export function parseProofFile(json: unknown): ReservesProof {
  const o = object(json, '(file)');
  if (o.kind !== PROOF_FILE_KIND) throw invalid('kind', `must be "${PROOF_FILE_KIND}"`);
  if (o.version !== PROOF_FILE_VERSION) throw invalid('version', `must be ${PROOF_FILE_VERSION}`);
  if (typeof o.network !== 'string' || !(NETWORK_NAMES as readonly string[]).includes(o.network))
    throw invalid('network', `must be one of ${NETWORK_NAMES.join(', ')}`);
  let message: string;
  try {
    message = checkProofMessage(o.message, 'message');
  } catch (cause) {
    throw new KuraError(
      'RESERVES_PROOF_INVALID',
      `reserves proof "message": ${(cause as Error).message}`,
      { field: 'message' },
      cause,
    );
  }
  const block = object(o.block, 'block');
  if (
    typeof o.proofTx !== 'string' ||
    o.proofTx.length === 0 ||
    o.proofTx.length % 2 !== 0 ||
    !/^[0-9a-f]+$/.test(o.proofTx)
  )
    throw invalid('proofTx', 'must be the transaction as lowercase hex');
  if (!Array.isArray(o.coins) || o.coins.length === 0 || o.coins.length > MAX_COINS)
    throw invalid('coins', `must be a list of 1 to ${MAX_COINS} coins`);
  return {
    network: o.network as NetworkName,
    message,
    block: { height: integer(block.height, 'block.height', 1e9), hash: hash(block.hash, 'block.hash') },
    proofTx: Uint8Array.from(Buffer.from(o.proofTx, 'hex')),
    coins: o.coins.map((value: unknown, i) => {
      const c = object(value, `coins[${i}]`);
      return {
        txid: hash(c.txid, `coins[${i}].txid`),
        vout: integer(c.vout, `coins[${i}].vout`, 0xffffffff),
        valueSat: sats(c.valueSat, `coins[${i}].valueSat`),
        blockHash: hash(c.blockHash, `coins[${i}].blockHash`),
        height: integer(c.height, `coins[${i}].height`, 1e9),
      };
    }),
  };
}
