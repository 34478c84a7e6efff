import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes operators filter on in the Temporal Web UI (registered by the dev stack). */
export const PAYMENT_STATUS = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);
export const ORDER_ID = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const PAYMENT_METHOD = defineSearchAttributeKey('PaymentMethod', SearchAttributeType.KEYWORD);

export const PAYMENT_SEARCH_ATTRIBUTES = [PAYMENT_STATUS, ORDER_ID, PAYMENT_METHOD] as const;
