// Pinning the policy on a signer (`kura signer policy`): the policy file and its denylist are
// copied byte for byte into the signer home, so the signer checks every package against the
// policy it was given at its ceremony, whatever the coordinator later claims.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KuraError } from '../errors.js';
import { writeFileAtomic } from '../artifacts/atomicWrite.js';
import { MAX_JSON_FILE_BYTES, readBoundedFile } from '../artifacts/readFile.js';
import { loadPolicy, MAX_DENYLIST_FILE_BYTES, type LoadedPolicy } from '../policy/load.js';
import type { LoadedWallet } from '../artifacts/walletFile.js';

export const PINNED_POLICY_FILE = 'policy.json';

export function pinnedPolicyPath(home: string): string {
  return join(home, PINNED_POLICY_FILE);
}

export function loadPinnedPolicy(home: string): LoadedPolicy {
  const path = pinnedPolicyPath(home);
  if (!existsSync(path)) {
    throw new KuraError('POLICY_NOT_PINNED', 'this signer has no pinned policy; run kura signer policy', {
      field: 'policy',
    });
  }
  return loadPolicy(path);
}

/** Checks that the policy governs the registered wallet on its network. */
export function checkPolicyForWallet(loaded: LoadedPolicy, wallet: LoadedWallet): void {
  if (loaded.policy.walletId !== wallet.id || loaded.policy.network !== wallet.wallet.network) {
    throw new KuraError(
      'POLICY_WALLET_MISMATCH',
      `the policy governs wallet ${loaded.policy.walletId.slice(0, 16)}… on ${loaded.policy.network}, this signer holds ${wallet.id.slice(0, 16)}… on ${wallet.wallet.network}`,
      { field: 'walletId' },
    );
  }
}

/** Copies the policy (and its denylist) into the home; the old pin is replaced atomically. */
export function pinPolicy(home: string, policyPath: string): LoadedPolicy {
  const loaded = loadPolicy(policyPath);
  const bytes = readBoundedFile(policyPath, MAX_JSON_FILE_BYTES, 'policy');
  const screening = loaded.policy.screening;
  if (screening !== null) {
    const source = join(dirname(policyPath), screening.denylistFile);
    const target = join(home, screening.denylistFile);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileAtomic(target, readBoundedFile(source, MAX_DENYLIST_FILE_BYTES, 'screening.denylistFile'));
  }
  writeFileAtomic(pinnedPolicyPath(home), bytes);
  return loadPinnedPolicy(home);
}
