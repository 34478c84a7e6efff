// The pure payment domain: no I/O, no clock, no randomness. Workflow code imports only from here.
export * from './errors';
export * from './payment-status';
export * from './money';
export * from './payment-methods';
export * from './midtrans-request';
export * from './midtrans-status';
export * from './payment-state';
export * from './payment-instructions';
export * from './payment-view';
export * from './retention';
export * from './reconciliation';
export * from './reconciliation-drift';
export * from './downstream';
