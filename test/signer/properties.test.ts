// Properties that must hold for every input, checked with fast-check: packages survive a round
// trip through the file format unchanged, and any single-byte change to a payment output or to an
// approval makes the signer refuse (THREATS.md #3, #21, #23).
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Transaction, type Psbt } from 'bitcoinjs-lib';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { readPackage } from '../../src/artifacts/kuraFields.js';
import { WitnessV0Sighasher } from '../../src/bitcoin/sighash.js';
import { isKuraError } from '../../src/errors.js';
import { reviewPackage } from '../../src/signer/review.js';
import { loadSignerState } from '../../src/signer/signCeremony.js';
import { buildPackage, NOW, setUpScenario, validParts, type Scenario } from '../helpers/scenario.js';

let scenario: Scenario;
beforeAll(async () => {
  scenario = await setUpScenario();
});

function refuses(psbt: Psbt | Uint8Array): boolean {
  try {
    const bytes = psbt instanceof Uint8Array ? psbt : psbt.toBuffer();
    reviewPackage(decodePsbt(bytes), loadSignerState(scenario.homes.alice), NOW);
    return false;
  } catch (error) {
    if (!isKuraError(error)) throw error; // anything but a typed refusal is a bug
    return true;
  }
}

describe('signing packages', () => {
  it('the reference package passes review', () => {
    expect(refuses(buildPackage(scenario, validParts(scenario)))).toBe(false);
  });

  it('parse then serialize is the identity, and the kura fields read back unchanged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 40 }),
        (extraApprovals, batch) => {
          const parts = validParts(scenario);
          parts.batchId = `b-${batch}`;
          parts.approvals = parts.approvals.slice(0, parts.approvals.length - (extraApprovals % 2));
          const bytes = buildPackage(scenario, parts).toBuffer();
          const again = decodePsbt(bytes);
          expect(Buffer.from(again.toBuffer()).equals(Buffer.from(bytes))).toBe(true);
          const pkg = readPackage(again);
          expect([...pkg.requests.keys()].sort()).toEqual(parts.requests.map((r) => r.requestId).sort());
          expect(pkg.approvals).toHaveLength(parts.approvals.length);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('any single-byte change to a payment output is refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (output, at, xor) => {
          const psbt = buildPackage(scenario, validParts(scenario));
          const out = psbt.txOutputs[output];
          if (out === undefined) throw new Error('no output');
          // The output as serialized in the unsigned transaction: value (8) ‖ script length (1) ‖ script.
          const bytes = Buffer.from(psbt.toBuffer());
          const value = Buffer.alloc(8);
          value.writeBigUInt64LE(out.value);
          const start = bytes.indexOf(
            Buffer.concat([value, Buffer.from([out.script.length]), Buffer.from(out.script)]),
          );
          expect(start).toBeGreaterThan(0);
          const i = start + (at % (9 + out.script.length));
          bytes[i] = (bytes[i] as number) ^ xor;
          expect(refuses(bytes)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('any single-byte change to an approval is refused', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        (which, at, xor, inKey) => {
          const psbt = buildPackage(scenario, validParts(scenario));
          const approvals = (psbt.data.globalMap.unknownKeyVals ?? []).filter((kv) => kv.key[6] === 0x02);
          const kv = approvals[which % approvals.length];
          if (kv === undefined) throw new Error('no approval');
          // In the key, change only the request id and officer key (after the 7-byte prefix).
          const target = inKey ? kv.key : kv.value;
          const start = inKey ? 7 : 0;
          const i = start + (at % (target.length - start));
          const changed = Uint8Array.from(target);
          changed[i] = (changed[i] as number) ^ xor;
          if (inKey) kv.key = changed;
          else kv.value = changed;
          expect(refuses(psbt)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('BIP-143 sighashes', () => {
  it('agree with bitcoinjs-lib for random transactions', () => {
    const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const script = fc.uint8Array({ minLength: 0, maxLength: 80 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ hash: bytes32, index: fc.nat(10), sequence: fc.nat() }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.record({ script, value: fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        script,
        fc.bigInt({ min: 0n, max: 2_100_000_000_000_000n }),
        fc.nat(),
        (ins, outs, witnessScript, value, locktime) => {
          const tx = new Transaction();
          tx.version = 2;
          tx.locktime = locktime;
          for (const i of ins) tx.addInput(i.hash, i.index, i.sequence);
          for (const o of outs) tx.addOutput(o.script, o.value);
          const fast = new WitnessV0Sighasher(tx);
          ins.forEach((_, index) => {
            const expected = tx.hashForWitnessV0(index, witnessScript, value, Transaction.SIGHASH_ALL);
            expect(Buffer.from(fast.hash(index, witnessScript, value)).toString('hex')).toBe(
              Buffer.from(expected).toString('hex'),
            );
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
