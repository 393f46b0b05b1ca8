// The hash-chained logs an auditor receives: the coordinator's export and the signers' ledgers.
export * from './export.js';
export * from './header.js';
export * from './verify.js';
