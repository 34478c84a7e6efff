import { describe, expect, it } from 'vitest';
import { wholeRupiahOrNull } from '../../src/domain/money';
import { toMidtransObservation } from '../../src/midtrans/observation';

describe('toMidtransObservation: one reading of every Midtrans body', () => {
  it('reads a refund notification field by field, leaving out what is not the transaction', () => {
    const notification = {
      transaction_time: '2026-01-05 10:00:00',
      transaction_status: 'partial_refund',
      transaction_id: 'tx-1',
      status_code: '200',
      signature_key: 'abc',
      payment_type: 'gopay',
      order_id: 'pay-1',
      gross_amount: '300000.00',
      fraud_status: 'accept',
      refund_amount: '50000.00',
    };
    expect(toMidtransObservation(notification)).toEqual({
      transactionStatus: 'partial_refund',
      fraudStatus: 'accept',
      grossAmount: '300000.00',
      orderId: 'pay-1',
      statusCode: '200',
      transactionId: 'tx-1',
      refundAmount: '50000.00',
    });
  });

  it('reads numbers as their text and absent fields as absent, so the domain judges the values', () => {
    const observation = toMidtransObservation({
      status_code: 201,
      gross_amount: 150000,
      order_id: 'pay-2',
      transaction_status: 'pending',
      fraud_status: null,
    });
    expect(observation).toEqual({ transactionStatus: 'pending', grossAmount: '150000', orderId: 'pay-2', statusCode: '201' });
    expect(
      Object.entries(observation)
        .filter(([, value]) => value === undefined)
        .map(([key]) => key)
        .sort(),
    ).toEqual(['fraudStatus', 'refundAmount', 'transactionId']);
  });

  it('an answer without a status is unknown, never pending or paid', () => {
    expect(toMidtransObservation({ status_code: '404' }).transactionStatus).toBe('unknown');
  });

  it('reads a value that is neither text nor a number as unreadable text, even one whose toString is not a function', () => {
    const observation = toMidtransObservation({
      order_id: 'pay-3',
      transaction_status: ['settlement'],
      gross_amount: '120000.00',
      refund_amount: { toString: [] },
    });
    expect(observation.refundAmount).toBeDefined();
    expect(wholeRupiahOrNull(observation.refundAmount)).toBeNull();
    expect(observation.transactionStatus).not.toBe('settlement');
  });
});
