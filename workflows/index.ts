export { paymentWorkflow } from './payment';
export { personalDataRetentionWorkflow } from './personal-data-retention';
export { downstreamRedeliveryWorkflow } from './downstream-redelivery';
