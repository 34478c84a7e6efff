/**
 * How long a downstream delivery (transaction service, user service) is retried before it is left failed for an
 * operator's redelivery. A payment's workflow waits for its deliveries, so it may run this long past its last step.
 */
export const DOWNSTREAM_DELIVERY_DAYS = 7;
