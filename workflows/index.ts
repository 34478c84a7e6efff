export { paymentWorkflow } from './payment';
export { personalDataRetentionWorkflow } from './personal-data-retention';
