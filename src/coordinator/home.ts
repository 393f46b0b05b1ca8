// A coordinator home is one folder (mode 0700) on the online server:
//   kura.sqlite     the store (requests, approvals, coins, batches, tokens, audit log); WAL files beside it
//   wallet.json     a copy of the wallet file (xpubs only)
//   policy.json     a copy of the policy file, byte for byte (its hash is the policy hash)
//   <denylist>      a copy of the policy's screening denylist, under the name the policy gives it
//   config.json     node RPC url and where its credentials are (a file path, never a secret), birthday
// Every start-up re-reads the files and refuses a database that belongs to other ones.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { KuraError } from '../errors.js';
import { ensurePrivateDirectory, writeFileAtomic } from '../artifacts/atomicWrite.js';
import { MAX_JSON_FILE_BYTES, readBoundedFile, readJsonFile } from '../artifacts/readFile.js';
import { parseWalletFile, type LoadedWallet } from '../artifacts/walletFile.js';
import { NETWORK_NAMES, type NetworkName } from '../bitcoin/networks.js';
import { loadPolicy, MAX_DENYLIST_FILE_BYTES, type LoadedPolicy } from '../policy/load.js';
import { Store, type Balance, type RequestState, type StoreOptions } from './store/index.js';

export const CONFIG_KIND = 'kura-coordinator-config';
export const CONFIG_VERSION = 1;
/** Far beyond any real chain height, and still a safe integer everywhere. */
export const MAX_BIRTHDAY_HEIGHT = 100_000_000;

export type RpcAuth =
  | { readonly kind: 'cookie'; readonly cookieFile: string }
  | { readonly kind: 'password'; readonly user: string; readonly passwordFile: string };

export interface CoordinatorConfig {
  readonly kind: typeof CONFIG_KIND;
  readonly version: typeof CONFIG_VERSION;
  readonly network: NetworkName;
  readonly rpc: { readonly url: string; readonly auth: RpcAuth };
  readonly birthdayHeight: number;
}

export interface HomePaths {
  readonly home: string;
  readonly database: string;
  readonly wallet: string;
  readonly policy: string;
  readonly config: string;
}

export function homePaths(home: string): HomePaths {
  return {
    home,
    database: join(home, 'kura.sqlite'),
    wallet: join(home, 'wallet.json'),
    policy: join(home, 'policy.json'),
    config: join(home, 'config.json'),
  };
}

type Fail = (field: string, why: string) => KuraError;
const argument: Fail = (field, why) => new KuraError('ARGUMENT_INVALID', `"${field}" ${why}`, { field });
const configInvalid: Fail = (field, why) =>
  new KuraError('COORDINATOR_CONFIG_INVALID', `config.json "${field}" ${why}`, { field });

/** An http(s) URL with no credentials in it: secrets live in files, not in config or argv. */
export function checkRpcUrl(value: unknown, fail: Fail = argument, field = 'rpc-url'): string {
  let url: URL;
  try {
    if (typeof value !== 'string') throw new TypeError('not a string');
    url = new URL(value);
  } catch {
    throw fail(field, 'must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw fail(field, 'must be an http:// or https:// URL');
  if (url.username !== '' || url.password !== '') {
    throw fail(field, 'must not hold credentials: use --rpc-cookie, or --rpc-user with --rpc-password-file');
  }
  return value as string;
}

function nonEmpty(value: unknown, field: string, fail: Fail): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096)
    throw fail(field, 'must be non-empty text');
  return value;
}

/** Exactly one way to authenticate to the node, with credentials in files. */
export function rpcAuthFromFlags(flags: {
  rpcCookie?: string;
  rpcUser?: string;
  rpcPasswordFile?: string;
}): RpcAuth {
  const { rpcCookie, rpcUser, rpcPasswordFile } = flags;
  if (rpcCookie !== undefined) {
    if (rpcUser !== undefined || rpcPasswordFile !== undefined) {
      throw argument('rpc-cookie', 'cannot be combined with --rpc-user or --rpc-password-file');
    }
    return { kind: 'cookie', cookieFile: resolve(nonEmpty(rpcCookie, 'rpc-cookie', argument)) };
  }
  if (rpcUser === undefined || rpcPasswordFile === undefined) {
    throw argument(
      rpcUser === undefined ? 'rpc-user' : 'rpc-password-file',
      'is needed: give --rpc-cookie FILE, or --rpc-user U with --rpc-password-file F',
    );
  }
  const passwordFile = resolve(nonEmpty(rpcPasswordFile, 'rpc-password-file', argument));
  // Read now and wipe (JavaScript cannot promise no copy remains) so that a wrong path fails at
  // init rather than at the first sync.
  readBoundedFile(passwordFile, 64 * 1024, 'rpc-password-file').fill(0);
  return { kind: 'password', user: nonEmpty(rpcUser, 'rpc-user', argument), passwordFile };
}

export function parseCoordinatorConfig(json: unknown): CoordinatorConfig {
  const o = json as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw configInvalid('(file)', 'must be an object');
  if (o.kind !== CONFIG_KIND) throw configInvalid('kind', `must be "${CONFIG_KIND}"`);
  if (o.version !== CONFIG_VERSION) throw configInvalid('version', `must be ${CONFIG_VERSION}`);
  if (typeof o.network !== 'string' || !(NETWORK_NAMES as readonly string[]).includes(o.network)) {
    throw configInvalid('network', `must be one of ${NETWORK_NAMES.join(', ')}`);
  }
  const h = o.birthdayHeight;
  if (typeof h !== 'number' || !Number.isSafeInteger(h) || h < 0 || h > MAX_BIRTHDAY_HEIGHT) {
    throw configInvalid('birthdayHeight', `must be an integer from 0 to ${MAX_BIRTHDAY_HEIGHT}`);
  }
  const rpc = o.rpc as Record<string, unknown> | null;
  if (typeof rpc !== 'object' || rpc === null) throw configInvalid('rpc', 'must be an object');
  const auth = rpc.auth as Record<string, unknown> | null;
  if (typeof auth !== 'object' || auth === null) throw configInvalid('rpc.auth', 'must be an object');
  let parsed: RpcAuth;
  if (auth.kind === 'cookie') {
    parsed = { kind: 'cookie', cookieFile: nonEmpty(auth.cookieFile, 'rpc.auth.cookieFile', configInvalid) };
  } else if (auth.kind === 'password') {
    parsed = {
      kind: 'password',
      user: nonEmpty(auth.user, 'rpc.auth.user', configInvalid),
      passwordFile: nonEmpty(auth.passwordFile, 'rpc.auth.passwordFile', configInvalid),
    };
  } else {
    throw configInvalid('rpc.auth.kind', 'must be "cookie" or "password"');
  }
  return {
    kind: CONFIG_KIND,
    version: CONFIG_VERSION,
    network: o.network as NetworkName,
    rpc: { url: checkRpcUrl(rpc.url, configInvalid, 'rpc.url'), auth: parsed },
    birthdayHeight: h,
  };
}

/** The policy must govern this wallet on this network. */
function checkPolicyForWallet(policy: LoadedPolicy, wallet: LoadedWallet): void {
  if (policy.policy.walletId !== wallet.id || policy.policy.network !== wallet.wallet.network) {
    throw new KuraError(
      'POLICY_WALLET_MISMATCH',
      `the policy is for wallet ${policy.policy.walletId} on ${policy.policy.network}; the wallet file is ${wallet.id} on ${wallet.wallet.network}`,
      { field: 'policy', policyWalletId: policy.policy.walletId, walletId: wallet.id },
    );
  }
}

export interface InitOptions {
  readonly home: string;
  readonly walletPath: string;
  readonly policyPath: string;
  readonly rpcUrl: string;
  readonly rpcAuth: RpcAuth;
  readonly birthdayHeight?: number;
}

export interface InitResult {
  readonly home: string;
  readonly network: NetworkName;
  readonly walletName: string;
  readonly walletId: string;
  readonly policyHash: string;
  readonly birthdayHeight: number;
  readonly rpcUrl: string;
  readonly rpcAuth: RpcAuth['kind'];
  readonly auditHead: string;
}

/**
 * Makes a coordinator home. Everything is checked before anything is written; the database is
 * created last, so a crash part-way leaves a home that init can simply be run on again.
 */
export function initCoordinatorHome(options: InitOptions, storeOptions: StoreOptions = {}): InitResult {
  const wallet = parseWalletFile(readJsonFile(options.walletPath, 'wallet'));
  const original = loadPolicy(options.policyPath);
  checkPolicyForWallet(original, wallet);
  const rpcUrl = checkRpcUrl(options.rpcUrl);
  const birthdayHeight = options.birthdayHeight ?? 0;
  if (!Number.isSafeInteger(birthdayHeight) || birthdayHeight < 0 || birthdayHeight > MAX_BIRTHDAY_HEIGHT) {
    throw argument('birthday-height', `must be an integer from 0 to ${MAX_BIRTHDAY_HEIGHT}`);
  }
  const paths = homePaths(resolve(options.home));
  if (existsSync(paths.home) && !statSync(paths.home).isDirectory())
    throw argument('home', 'is not a folder');
  if (Store.isInitialized(paths.database)) {
    throw new KuraError('COORDINATOR_HOME_EXISTS', `${paths.home} already holds a coordinator database`, {
      field: 'home',
      path: paths.database,
    });
  }

  ensurePrivateDirectory(paths.home);
  writeFileAtomic(paths.wallet, `${JSON.stringify(wallet.file, null, 2)}\n`, { mode: 0o400 });
  const policyBytes = readBoundedFile(options.policyPath, MAX_JSON_FILE_BYTES, 'policy');
  writeFileAtomic(paths.policy, policyBytes, { mode: 0o400 });
  const denylistFile = original.policy.screening?.denylistFile;
  if (denylistFile !== undefined) {
    const target = join(paths.home, denylistFile);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    const bytes = readBoundedFile(
      join(dirname(options.policyPath), denylistFile),
      MAX_DENYLIST_FILE_BYTES,
      'denylist',
    );
    writeFileAtomic(target, bytes, { mode: 0o400 });
  }
  // What the home holds is what counts: load the copies, so a file changed while we copied is caught.
  const policy = loadPolicy(paths.policy);
  checkPolicyForWallet(policy, wallet);
  if (policy.policyHash !== original.policyHash) {
    throw new KuraError(
      'POLICY_HASH_MISMATCH',
      'the policy file changed while it was copied; run init again',
      {
        field: 'policy',
      },
    );
  }
  const config: CoordinatorConfig = {
    kind: CONFIG_KIND,
    version: CONFIG_VERSION,
    network: wallet.wallet.network,
    rpc: { url: rpcUrl, auth: options.rpcAuth },
    birthdayHeight,
  };
  writeFileAtomic(paths.config, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });

  const store = Store.create(
    paths.database,
    { network: wallet.wallet.network, walletId: wallet.id, policyHash: policy.policyHash, birthdayHeight },
    {
      walletName: wallet.name,
      descriptor: wallet.file.descriptor,
      rpcUrl,
      rpcAuth: options.rpcAuth.kind,
      ...(denylistFile === undefined ? {} : { denylistFile }),
    },
    storeOptions,
  );
  try {
    return {
      home: paths.home,
      network: wallet.wallet.network,
      walletName: wallet.name,
      walletId: wallet.id,
      policyHash: policy.policyHash,
      birthdayHeight,
      rpcUrl,
      rpcAuth: options.rpcAuth.kind,
      auditHead: store.auditHead()?.hash ?? '',
    };
  } finally {
    store.close();
  }
}

export interface CoordinatorHome {
  readonly paths: HomePaths;
  readonly config: CoordinatorConfig;
  readonly wallet: LoadedWallet;
  readonly policy: LoadedPolicy;
  readonly store: Store;
  close(): void;
}

/**
 * Opens a home: re-reads and re-checks the wallet, policy and config files, then opens the
 * store, which refuses a database of another network, wallet or policy.
 */
export function openCoordinatorHome(home: string, storeOptions: StoreOptions = {}): CoordinatorHome {
  const paths = homePaths(resolve(home));
  for (const path of [paths.config, paths.database]) {
    if (!existsSync(path)) {
      throw new KuraError(
        'COORDINATOR_NOT_INITIALIZED',
        `${paths.home} is not a coordinator home (no ${path}); run kura coordinator init`,
        { field: 'home', path },
      );
    }
  }
  const config = parseCoordinatorConfig(readJsonFile(paths.config, 'config'));
  const wallet = parseWalletFile(readJsonFile(paths.wallet, 'wallet'));
  if (config.network !== wallet.wallet.network) {
    throw configInvalid('network', `is ${config.network}, the wallet file is for ${wallet.wallet.network}`);
  }
  const policy = loadPolicy(paths.policy);
  checkPolicyForWallet(policy, wallet);
  const store = Store.open(
    paths.database,
    { network: wallet.wallet.network, walletId: wallet.id, policyHash: policy.policyHash },
    storeOptions,
  );
  return { paths, config, wallet, policy, store, close: () => store.close() };
}

export interface CoordinatorStatus {
  readonly home: string;
  readonly network: NetworkName;
  readonly walletName: string;
  readonly walletId: string;
  readonly policyHash: string;
  readonly birthdayHeight: number;
  readonly rpcUrl: string;
  readonly tip: { readonly height: number; readonly hash: string } | null;
  readonly requests: Record<RequestState, number>;
  readonly balance: Balance & { readonly totalSat: bigint };
  readonly audit: { readonly entries: number; readonly head: string | null };
}

/** What `kura coordinator status` shows. Verifies the whole audit chain on the way. */
export function coordinatorStatus(home: CoordinatorHome): CoordinatorStatus {
  const { store } = home;
  const meta = store.meta();
  const balance = store.balance();
  const tip = store.tipBlock();
  return {
    home: home.paths.home,
    network: meta.network,
    walletName: home.wallet.name,
    walletId: meta.walletId,
    policyHash: meta.policyHash,
    birthdayHeight: meta.birthdayHeight,
    rpcUrl: home.config.rpc.url,
    tip: tip === undefined ? null : { height: tip.height, hash: tip.hash },
    requests: store.countRequestsByState(),
    balance: { ...balance, totalSat: balance.confirmedSat + balance.unconfirmedSat + balance.lockedSat },
    audit: store.verifyAudit(),
  };
}
