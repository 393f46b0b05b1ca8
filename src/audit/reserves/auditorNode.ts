// The auditor's own node, from command-line flags: a URL without credentials, and Core's cookie
// file or a user with a password file (never a secret on argv or in the environment). The same
// checks as the coordinator's init (src/coordinator/home.ts); nothing of a coordinator is read.
import { RpcClient } from '../../chain/rpcClient.js';
import { checkRpcUrl, rpcAuthFromFlags } from '../../coordinator/home.js';
import { nodeAuth } from '../../coordinator/node.js';

export interface NodeFlags {
  readonly rpcUrl: string;
  readonly rpcCookie?: string;
  readonly rpcUser?: string;
  readonly rpcPasswordFile?: string;
}

/** An RpcClient for the auditor's node; nothing is sent yet. close() it when done. */
export function auditorNodeClient(flags: NodeFlags): RpcClient {
  const url = checkRpcUrl(flags.rpcUrl);
  const auth = rpcAuthFromFlags(flags);
  return new RpcClient({ url, auth: nodeAuth({ rpc: { url, auth } }) });
}
