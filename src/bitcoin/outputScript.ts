// An address's output script for a network: what bitcoinjs-lib's `address.toOutputScript` gives,
// without its cost for the addresses custody sees most. bitcoinjs-lib tries base58check first
// (a double SHA-256 and a thrown, caught error for every bech32 address) and then builds the
// script through its lazy `payments` objects: about 26 µs per address, against 2–4 µs here, on
// every withdrawal intake takes. A segwit v0 address of the network (P2WPKH, P2WSH) is read here with
// bitcoinjs-lib's own bech32 decoder and its script compiler; everything else (base58, taproot,
// whose key bitcoinjs-lib checks is on the curve, future segwit versions, every malformed string)
// still goes through `toOutputScript`, so what is accepted and what is refused is unchanged
// (test/unit/output-script.test.ts compares the two).
import { address as bjsAddress, opcodes, script as bjsScript, type Network } from 'bitcoinjs-lib';

/** Lengths of the version-0 witness programs: P2WPKH's key hash and P2WSH's script hash. */
const V0_PROGRAM_LENGTHS: readonly number[] = [20, 32];

function segwitV0Script(address: string, network: Network): Uint8Array | undefined {
  // Bech32 is case-insensitive but never mixed-case; the decoder enforces the rest.
  if (!address.toLowerCase().startsWith(`${network.bech32}1`)) return undefined;
  let decoded: { version: number; prefix: string; data: Uint8Array };
  try {
    decoded = bjsAddress.fromBech32(address);
  } catch {
    return undefined;
  }
  if (decoded.prefix !== network.bech32 || decoded.version !== 0) return undefined;
  if (!V0_PROGRAM_LENGTHS.includes(decoded.data.length)) return undefined;
  return bjsScript.compile([opcodes.OP_0, decoded.data]);
}

/**
 * The output script paying `address` on `network`; throws bitcoinjs-lib's error for anything that
 * is not an address of that network.
 */
export function outputScriptOf(address: string, network: Network): Uint8Array {
  return segwitV0Script(address, network) ?? bjsAddress.toOutputScript(address, network);
}
