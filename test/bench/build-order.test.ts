// buildSigningPackage adds inputs straight into the PSBT's data and adds outputs before the
// inputs' UTXO data, to avoid two quadratic checks of bitcoinjs-lib (docs/speed.md). This proves
// the shortcut changes no byte: the package equals the one bitcoinjs-lib's plain API call order
// makes (addInput, updateInput, then addOutput and updateOutput), and duplicates are still refused.
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { buildSigningPackage, globalXpubs, RBF_SEQUENCE } from '../../src/artifacts/buildPackage.js';
import { writePackage } from '../../src/artifacts/kuraFields.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { CHANGE } from '../../src/bitcoin/descriptor.js';
import { networkInfo } from '../../src/bitcoin/networks.js';
import { isKuraError } from '../../src/errors.js';
import { benchSigner, benchSpec } from './signerFixture.js';

const signer = benchSigner();
const now = 1_750_000_000;

/** The package through bitcoinjs-lib's public Psbt methods in their plain order. */
function plainOrder(spec: ReturnType<typeof benchSpec>): Uint8Array {
  const deriver = new WalletDeriver(spec.wallet);
  const psbt = new Psbt({ network: networkInfo(spec.wallet.network).bitcoinjs });
  psbt.setVersion(2);
  psbt.setLocktime(spec.locktime ?? 0);
  psbt.updateGlobal({ globalXpub: globalXpubs(spec.wallet) });
  const derivations = (d: ReturnType<WalletDeriver['derive']>) =>
    d.keys.map((k) => ({
      masterFingerprint: Buffer.from(k.fingerprint, 'hex'),
      pubkey: k.publicKey,
      path: `m/${k.path.map((s) => (s >= 0x80000000 ? `${s - 0x80000000}'` : `${s}`)).join('/')}`,
    }));
  for (const coin of spec.coins) {
    const tx = Transaction.fromBuffer(coin.previousTx);
    psbt.addInput({ hash: tx.getHash(), index: coin.vout, sequence: RBF_SEQUENCE });
  }
  spec.coins.forEach((coin, i) => {
    const out = Transaction.fromBuffer(coin.previousTx).outs[coin.vout];
    if (out === undefined) throw new Error('bad coin');
    const derived = deriver.derive(coin.branch, coin.index);
    psbt.updateInput(i, {
      nonWitnessUtxo: coin.previousTx,
      witnessUtxo: { script: out.script, value: out.value },
      witnessScript: derived.witnessScript,
      bip32Derivation: derivations(derived),
    });
  });
  const outputs = new Map<number, string>();
  for (const request of spec.requests) {
    outputs.set(psbt.txOutputs.length, request.requestId);
    psbt.addOutput({ script: request.scriptPubKey, value: request.amountSat });
  }
  if (spec.change !== undefined) {
    const derived = deriver.derive(CHANGE, spec.change.index);
    psbt.addOutput({ script: derived.scriptPubKey, value: spec.change.valueSat });
    psbt.updateOutput(psbt.txOutputs.length - 1, {
      witnessScript: derived.witnessScript,
      bip32Derivation: derivations(derived),
    });
  }
  writePackage(psbt, { header: spec.header, requests: spec.requests, approvals: spec.approvals, outputs });
  return psbt.toBuffer();
}

describe('buildSigningPackage call order', () => {
  it.each([1, 2, 7])('makes the same bytes as the plain order with %i input(s)', (inputs) => {
    const spec = benchSpec(signer, inputs, now);
    const built = buildSigningPackage(spec);
    expect(Buffer.from(built.toBuffer()).toString('hex')).toBe(Buffer.from(plainOrder(spec)).toString('hex'));
    // The returned Psbt is whole: it round-trips and knows its inputs.
    expect(Psbt.fromBuffer(built.toBuffer()).txInputs).toHaveLength(inputs);
  });

  it('makes the same bytes when two coins share a previous transaction', () => {
    const spec = benchSpec(signer, 3, now);
    const [first, second] = spec.coins;
    if (first === undefined || second === undefined) throw new Error('no coins');
    // The first coin's transaction pays the wallet at output 1; spend its output 0 as well.
    const shared = { ...spec, coins: [...spec.coins, { ...first, vout: 0 }] };
    expect(Buffer.from(buildSigningPackage(shared).toBuffer()).toString('hex')).toBe(
      Buffer.from(plainOrder(shared)).toString('hex'),
    );
  });

  it('refuses a coin spent twice with ARGUMENT_INVALID', () => {
    const spec = benchSpec(signer, 2, now);
    const [first] = spec.coins;
    if (first === undefined) throw new Error('no coins');
    let code: string | undefined;
    try {
      buildSigningPackage({ ...spec, coins: [...spec.coins, first] });
    } catch (error) {
      code = isKuraError(error) ? error.code : 'not a KuraError';
    }
    expect(code).toBe('ARGUMENT_INVALID');
  });
});
