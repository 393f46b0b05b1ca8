// The coordinator's Bitcoin node: an RpcClient built from the home's config.json (Core's cookie
// file, or a user with a password file: never a secret in the config, on argv or in the
// environment), and the check that the node serves the wallet's network before anything is read.
import type { BlockchainInfo } from '../chain/rpcClient.js';
import { RpcClient } from '../chain/rpcClient.js';
import { readPasswordFile } from '../chain/credentials.js';
import type { RetryEvent, RpcAuth as ClientAuth } from '../chain/jsonRpc.js';
import type { CoordinatorConfig, CoordinatorHome } from './home.js';

/** Transport settings a caller may tune; src/chain/jsonRpc.ts has the defaults (5 retries, 30 s). */
export interface NodeClientOptions {
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly onRetry?: (event: RetryEvent) => void;
}

/**
 * The credentials config.json points at. A password file is read now (a wrong path fails here,
 * as FILE_NOT_FOUND naming "rpcPasswordFile"); a cookie file is read by the client at each
 * connection, because the node writes a new one every time it starts.
 */
export function nodeAuth(config: Pick<CoordinatorConfig, 'rpc'>): ClientAuth {
  const { auth } = config.rpc;
  if (auth.kind === 'cookie') return { cookieFile: auth.cookieFile };
  return { username: auth.user, password: readPasswordFile(auth.passwordFile) };
}

/** An RpcClient for the home's node. Nothing is sent yet; close() it when done. */
export function nodeClientFor(
  home: Pick<CoordinatorHome, 'config'>,
  options: NodeClientOptions = {},
): RpcClient {
  return new RpcClient({ url: home.config.rpc.url, auth: nodeAuth(home.config), ...options });
}

/**
 * Connects to the home's node and proves it serves the wallet's network (getblockchaininfo):
 * NODE_WRONG_NETWORK otherwise, NODE_UNREACHABLE / NODE_AUTH_FAILED / NODE_TIMEOUT when it cannot
 * be asked. The client is closed again if the check fails.
 */
export async function connectNode(
  home: Pick<CoordinatorHome, 'config'>,
  options: NodeClientOptions = {},
): Promise<{ client: RpcClient; info: BlockchainInfo }> {
  const client = nodeClientFor(home, options);
  try {
    return { client, info: await client.expectNetwork(home.config.network) };
  } catch (error) {
    client.close();
    throw error;
  }
}
