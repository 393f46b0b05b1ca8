// The coordinator store's public face: the Store class and the types of what it holds.
export { Store, type StoreIdentity, type StoreOptions } from './store.js';
export { LATEST_VERSION, MIGRATIONS } from './migrations.js';
export type { RequestQuery, StateChange, NewApproval } from './requests.js';
export type { SpendableQuery } from './coins.js';
export type { BatchStateChange } from './batches.js';
export * from './types.js';
