// README command one: `npm run demo` must run the whole ceremony on a fresh machine. This runs
// the same script in a child process, in a temporary folder, and reads what it printed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo', () => {
  it('runs a withdrawal from key ceremony to confirmation on regtest', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: root,
      env: { ...process.env, KURA_DEMO_DIR: tempDir('kura-demo-') },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).not.toMatch(/demo failed/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/order 3: 3 BTC → HTTP 422 POLICY_REFUSED: .*perWithdrawalSat/);
    expect(run.stdout).toMatch(/sec-bob approved request 2 .* → approved/);
    expect(run.stdout).toMatch(/signer-b signed .* 1\/1 inputs ready, batch finalized/);
    expect(run.stdout).toMatch(/is in the node's mempool/);
    expect(run.stdout.match(/ BTC to bcrt1\w+: confirmed/g)).toHaveLength(2);
    expect(run.stdout).toMatch(/signer-a: 3 entries/);
    expect(run.stdout).toMatch(/coordinator log: \d+ entries, hash chain intact/);
    expect(run.stdout).toMatch(/reconciled: 2 signer signatures and 1 broadcast/);
    expect(run.stdout).toMatch(/signer-c recognised the proof \(no approvals needed\) and signed/);
    expect(run.stdout).toMatch(/auditor's node: proof verified, \d+\.\d{8} BTC in 1 coin/);
    expect(run.stdout).toMatch(/COVERED \(coverage 1\.\d+\)/);
  });
});
