export { paymentWorkflow } from './payment';
export { personalDataRetentionWorkflow } from './personal-data-retention';
export { dailyReconciliationWorkflow } from './daily-reconciliation';
export { requestRecordsRetentionWorkflow } from './request-records-retention';
export { downstreamRedeliveryWorkflow } from './downstream-redelivery';
