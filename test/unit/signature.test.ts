import { describe, expect, it } from 'vitest';
import { isValidMidtransSignature, midtransSignature } from '../../src/midtrans/signature';

// The signature test vector Midtrans publishes (docs/midtrans.md §5).
const SERVER_KEY = 'askvnoibnosifnboseofinbofinfgbiufglnbfg';
const EXPECTED =
  'edc076b21793ebe3e17926350f5b8ae67d902fe657b3d0aa31b932d5c127e2375d308a2bc94f3265ac2d80a1f181a79b997ac178a236fcff35af263fc4d4c231';
const notification = { order_id: '1111', status_code: '200', gross_amount: '100000.00', signature_key: EXPECTED };

describe('Midtrans signature', () => {
  it('matches the reference test vector', () => {
    expect(midtransSignature('1111', '200', '100000.00', SERVER_KEY)).toBe(EXPECTED);
  });

  it('accepts the reference notification, also in upper-case hex', () => {
    expect(isValidMidtransSignature(notification, SERVER_KEY)).toBe(true);
    expect(isValidMidtransSignature({ ...notification, signature_key: EXPECTED.toUpperCase() }, SERVER_KEY)).toBe(true);
  });

  it.each([
    ['wrong server key', notification, 'another-key'],
    ['tampered amount', { ...notification, gross_amount: '1000000.00' }, SERVER_KEY],
    ['reformatted amount', { ...notification, gross_amount: '100000' }, SERVER_KEY],
    ['tampered status code', { ...notification, status_code: '201' }, SERVER_KEY],
    ['tampered order id', { ...notification, order_id: '1112' }, SERVER_KEY],
    ['non-hex signature', { ...notification, signature_key: 'z'.repeat(128) }, SERVER_KEY],
    ['truncated signature', { ...notification, signature_key: EXPECTED.slice(0, 127) }, SERVER_KEY],
    ['missing signature', { ...notification, signature_key: undefined }, SERVER_KEY],
    ['missing order id', { ...notification, order_id: undefined }, SERVER_KEY],
    ['numeric status code', { ...notification, status_code: 200 }, SERVER_KEY],
  ])('rejects %s', (_case, body, key) => {
    expect(isValidMidtransSignature(body, key)).toBe(false);
  });
});
