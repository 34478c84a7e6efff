import { afterEach, describe, expect, it } from 'vitest';
import { isValidMidtransSignature, midtransSignature } from '../../../src/midtrans/signature';
import type { Simulator } from '../../../simulator/app';
import { charge, chargeRequest, newSimulator, SERVER_KEY } from './helpers';

/** The signature test vector Midtrans publishes (docs/midtrans.md §5). */
const VECTOR = {
  order_id: '1111',
  status_code: '200',
  gross_amount: '100000.00',
  serverKey: 'askvnoibnosifnboseofinbofinfgbiufglnbfg',
  signature:
    'edc076b21793ebe3e17926350f5b8ae67d902fe657b3d0aa31b932d5c127e2375d308a2bc94f3265ac2d80a1f181a79b997ac178a236fcff35af263fc4d4c231',
};

let sim: Simulator;
afterEach(() => sim?.close());

describe('notification signature', () => {
  it('midtransSignature matches the reference test vector', () => {
    expect(midtransSignature(VECTOR.order_id, VECTOR.status_code, VECTOR.gross_amount, VECTOR.serverKey)).toBe(VECTOR.signature);
  });

  it('isValidMidtransSignature accepts the vector and rejects any change to the signed strings', () => {
    const notification = { ...VECTOR, signature_key: VECTOR.signature };
    expect(isValidMidtransSignature(notification, VECTOR.serverKey)).toBe(true);
    expect(isValidMidtransSignature({ ...notification, gross_amount: '100000' }, VECTOR.serverKey)).toBe(false);
    expect(isValidMidtransSignature({ ...notification, status_code: '201' }, VECTOR.serverKey)).toBe(false);
    expect(isValidMidtransSignature(notification, 'another-key')).toBe(false);
  });

  it.each(['bank_transfer', 'echannel', 'gopay', 'shopeepay', 'qris', 'cstore', 'ovo', 'credit_card'])(
    'every %s notification is signed over its own order_id, status_code and two-decimal gross_amount',
    async (paymentType) => {
      sim = newSimulator();
      const { body } = await charge(sim, chargeRequest(paymentType));
      const tx = sim.store.find(body.order_id)!.transaction;
      const notification = tx.notifications[0]!.body as Record<string, string>;
      expect(notification.gross_amount).toBe('44000.00');
      expect(notification.signature_key).toBe(
        midtransSignature(notification.order_id!, notification.status_code!, notification.gross_amount!, SERVER_KEY),
      );
      expect(isValidMidtransSignature(notification, SERVER_KEY)).toBe(true);
    },
  );

  it('notifications carry the fields Midtrans documents (docs/midtrans.md §5)', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer'));
    const tx = sim.store.find(body.order_id)!.transaction;
    const notification = tx.notifications[0]!.body;
    for (const field of [
      'transaction_id',
      'order_id',
      'merchant_id',
      'gross_amount',
      'currency',
      'payment_type',
      'transaction_time',
      'transaction_status',
      'fraud_status',
      'status_code',
      'status_message',
      'signature_key',
      'expiry_time',
      'va_numbers',
    ]) {
      expect(notification, field).toHaveProperty(field);
    }
  });
});
