// What block scanning needs from a node, and nothing more, so the scanner (src/coordinator/scan)
// is tested against the real node yet tied to no client class. RpcClient implements it.

/** A block the caller has already applied: its height and hash (RPC display order, hex). */
export interface KnownBlock {
  readonly height: number;
  readonly hash: string;
}

export interface ChainSource {
  /** The height of the node's active chain tip (`getblockcount`). */
  getBlockCount(): Promise<number>;
  /**
   * The hash of the active chain's block at `height` (`getblockhash`). A height above the tip is
   * a NODE_RPC_ERROR with rpcCode -8 (the tip may have moved down in a reorg).
   */
  getBlockHash(height: number): Promise<string>;
  /** The block's raw serialization (`getblock` verbosity 0), checked to hash to `hash`. */
  getBlock(hash: string): Promise<Uint8Array>;
}
