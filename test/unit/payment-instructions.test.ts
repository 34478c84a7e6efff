import { describe, expect, it } from 'vitest';
import { paymentInstructionsFrom } from '../../src/domain';

// Charge responses shaped as in the Midtrans reference and docs.
const base = {
  status_code: '201',
  transaction_id: '6ee793df-9b1d-4343-8eda-cc9663b4222f',
  order_id: 'pay_01HXYZ',
  merchant_id: 'G141532850',
  gross_amount: '44000.00',
  currency: 'IDR',
  transaction_time: '2024-03-11 00:30:05',
  transaction_status: 'pending',
  fraud_status: 'accept',
};

describe('paymentInstructionsFrom', () => {
  it('BCA/BNI/BRI/CIMB virtual account', () => {
    const body = { ...base, payment_type: 'bank_transfer', va_numbers: [{ bank: 'bca', va_number: '490526303019299' }] };
    expect(paymentInstructionsFrom(body)).toEqual({ kind: 'virtual_account', bank: 'bca', vaNumber: '490526303019299' });
  });

  it('Permata virtual account', () => {
    const body = { ...base, payment_type: 'bank_transfer', permata_va_number: '263001000113041' };
    expect(paymentInstructionsFrom(body)).toEqual({ kind: 'virtual_account', bank: 'permata', vaNumber: '263001000113041' });
  });

  it('Mandiri bill payment', () => {
    const body = { ...base, payment_type: 'echannel', bill_key: '778899112233', biller_code: '70012' };
    expect(paymentInstructionsFrom(body)).toEqual({ kind: 'bill_payment', billerCode: '70012', billKey: '778899112233' });
  });

  it('GoPay: QR and deeplink', () => {
    const body = {
      ...base,
      payment_type: 'gopay',
      actions: [
        { name: 'generate-qr-code', method: 'GET', url: 'https://api.sandbox.midtrans.com/v2/gopay/6ee7/qr-code' },
        { name: 'deeplink-redirect', method: 'GET', url: 'https://simulator.sandbox.midtrans.com/gopay/ui/checkout?id=6ee7' },
        { name: 'get-status', method: 'GET', url: 'https://api.sandbox.midtrans.com/v2/6ee7/status' },
        { name: 'cancel', method: 'POST', url: 'https://api.sandbox.midtrans.com/v2/6ee7/cancel' },
      ],
    };
    expect(paymentInstructionsFrom(body)).toEqual({
      kind: 'qr_code',
      qrUrl: 'https://api.sandbox.midtrans.com/v2/gopay/6ee7/qr-code',
      deeplinkUrl: 'https://simulator.sandbox.midtrans.com/gopay/ui/checkout?id=6ee7',
    });
  });

  it('QRIS: QR string and image', () => {
    const body = {
      ...base,
      payment_type: 'qris',
      acquirer: 'gopay',
      qr_string: '00020101021226620014COM.GO-JEK.WWW01189360091434506469550210G4506469550303UMI51440014ID.CO.QRIS',
      actions: [{ name: 'generate-qr-code', method: 'GET', url: 'https://api.sandbox.midtrans.com/v2/qris/6ee7/qr-code' }],
    };
    expect(paymentInstructionsFrom(body)).toEqual({
      kind: 'qr_code',
      qrString: body.qr_string,
      qrUrl: 'https://api.sandbox.midtrans.com/v2/qris/6ee7/qr-code',
    });
  });

  it('ShopeePay: deeplink only', () => {
    const body = {
      ...base,
      payment_type: 'shopeepay',
      actions: [{ name: 'deeplink-redirect', method: 'GET', url: 'https://wsa.uat.wallet.airpay.co.id/universal-link/wallet/pay?ref=abc' }],
    };
    expect(paymentInstructionsFrom(body)).toEqual({
      kind: 'deeplink',
      deeplinkUrl: 'https://wsa.uat.wallet.airpay.co.id/universal-link/wallet/pay?ref=abc',
    });
  });

  it.each(['indomaret', 'alfamart'])('%s payment code', (store) => {
    const body = { ...base, payment_type: 'cstore', payment_code: '25709650945026', store };
    expect(paymentInstructionsFrom(body)).toEqual({ kind: 'store_payment_code', store, paymentCode: '25709650945026' });
  });

  it('card needing 3DS: redirect', () => {
    const body = {
      ...base,
      payment_type: 'credit_card',
      masked_card: '48111111-1114',
      bank: 'bni',
      redirect_url: 'https://api.sandbox.midtrans.com/v2/token/rba/redirect/481111-1114-6ee7',
    };
    expect(paymentInstructionsFrom(body)).toEqual({ kind: 'redirect', redirectUrl: body.redirect_url });
  });

  it('Snap: token and redirect', () => {
    const body = {
      token: '66e4fa55-fdac-4ef9-91b5-733b97d1b862',
      redirect_url: 'https://app.sandbox.midtrans.com/snap/v3/redirection/66e4fa55-fdac-4ef9-91b5-733b97d1b862',
    };
    expect(paymentInstructionsFrom(body)).toEqual({ kind: 'redirect', redirectUrl: body.redirect_url, token: body.token });
  });

  it('OVO: push to the app', () => {
    expect(paymentInstructionsFrom({ ...base, payment_type: 'ovo' })).toEqual({ kind: 'ewallet_push', wallet: 'ovo' });
  });

  it('nothing to do or an unknown shape: null', () => {
    const cardWithout3ds = { ...base, status_code: '200', payment_type: 'credit_card', transaction_status: 'capture' };
    expect(paymentInstructionsFrom(cardWithout3ds)).toBeNull();
    expect(paymentInstructionsFrom({})).toBeNull();
    expect(paymentInstructionsFrom({ va_numbers: [], actions: 'nope', payment_code: 42 })).toBeNull();
  });
});
