// Run by memory.bench.ts in a child process of its own (node --expose-gc --import tsx), so that
// the process's peak resident set is this one operation's and nothing else's:
//   memoryProbe.ts <operation> <inputs> <package.psbt>
// operation: kura-sign | bitcoinjs-sign | kura-build | bitcoinjs-build. The package file is the
// signing package of `inputs` inputs (signerFixture.ts), written by the parent. Everything the
// operation needs is prepared first; then the garbage is collected, the kernel's peak-RSS counter
// reset to the current RSS (Linux: "5" to /proc/self/clear_refs, so preparing does not mask the
// operation's peak), the operation run once, and memory read again: the peak resident set
// (VmHWM), process.memoryUsage() right after (the heap still holds the operation's garbage) and
// after a full collection (what it kept). Where the counter cannot be reset, the peak is
// getrusage's maxRSS, which may include the preparation's. Prints one JSON line.
import { readFileSync, writeFileSync } from 'node:fs';
import { Psbt } from 'bitcoinjs-lib';
import { buildSigningPackage } from '../../src/artifacts/buildPackage.js';
import { decodePsbt } from '../../src/artifacts/psbtFile.js';
import { WalletDeriver } from '../../src/bitcoin/addresses.js';
import { ecc } from '../../src/bitcoin/ecc.js';
import { networkInfo } from '../../src/bitcoin/networks.js';
import { signedBy } from './coordinatorFixture.js';
import { benchSigner, benchSpec } from './signerFixture.js';

const [operation, inputsText, packagePath] = process.argv.slice(2);
const inputs = Number(inputsText);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
if (packagePath === undefined || !Number.isSafeInteger(inputs))
  throw new Error('usage: <operation> <inputs> <package>');

const network = networkInfo('regtest').bitcoinjs;
const now = Math.floor(Date.now() / 1000);
const packageBytes = new Uint8Array(readFileSync(packagePath));
const signer = benchSigner();

function prepare(): () => unknown {
  switch (operation) {
    case 'kura-sign':
      return () => signedBy(signer, packageBytes, now);
    case 'bitcoinjs-sign': {
      const branch = signer.account.derive(0);
      const keys = Array.from({ length: inputs }, (_, i) => {
        const child = branch.derive(i);
        if (child.privateKey === undefined) throw new Error('no private key');
        return { publicKey: child.publicKey, privateKey: child.privateKey };
      });
      return () => {
        const psbt = Psbt.fromBuffer(packageBytes, { network });
        keys.forEach(({ publicKey, privateKey }, i) =>
          psbt.signInput(i, { publicKey, sign: (hash: Uint8Array) => ecc.sign(hash, privateKey) }),
        );
        return psbt.toBuffer();
      };
    }
    case 'kura-build': {
      const spec = benchSpec(signer, inputs, now);
      const deriver = new WalletDeriver(spec.wallet);
      for (const coin of spec.coins) deriver.derive(coin.branch, coin.index);
      return () => buildSigningPackage(spec, deriver).toBuffer();
    }
    case 'bitcoinjs-build': {
      const template = decodePsbt(packageBytes);
      return () => {
        const psbt = new Psbt({ network });
        for (const input of template.txInputs) {
          psbt.addInput({ hash: input.hash, index: input.index, sequence: input.sequence });
        }
        template.txOutputs.forEach((output) =>
          psbt.addOutput({ script: output.script, value: output.value }),
        );
        template.data.inputs.forEach((input, i) => {
          const { nonWitnessUtxo, witnessUtxo, witnessScript, bip32Derivation } = input;
          if (!nonWitnessUtxo || !witnessUtxo || !witnessScript || !bip32Derivation)
            throw new Error('bad template');
          psbt.updateInput(i, { nonWitnessUtxo, witnessUtxo, witnessScript, bip32Derivation });
        });
        return psbt.toBuffer();
      };
    }
    default:
      throw new Error(`unknown operation ${operation}`);
  }
}

/** The kernel's peak resident set of this process, in bytes (VmHWM), or undefined off Linux. */
function peakRss(): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Resets the peak to the current RSS; false where the kernel does not allow it. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const run = prepare();
gc();
gc();
const reset = resetPeak();
const before = process.memoryUsage();
const result = run();
const after = process.memoryUsage();
const peak = (reset ? peakRss() : undefined) ?? process.resourceUsage().maxRSS * 1024;
gc();
const retained = process.memoryUsage();
if (result === undefined) throw new Error('the operation returned nothing');
console.log(
  JSON.stringify({
    operation,
    inputs,
    rssBefore: before.rss,
    peakRss: peak,
    peakReset: reset,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    heapRetained: retained.heapUsed,
    externalAfter: after.external + after.arrayBuffers,
  }),
);
