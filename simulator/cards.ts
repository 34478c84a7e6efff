import { createHash, randomUUID } from 'node:crypto';

/**
 * Cards as the Midtrans sandbox knows them: its published test cards (docs "Testing Payment on Sandbox"; CVV 123,
 * any future expiry, 3DS OTP 112233) and the tokens GET /v2/token issues for them.
 *
 * A charge names its card by `credit_card.token_id`:
 *  1. a token issued by GET /v2/token, "<first 8 digits>-<last 4>-<uuid>" as Midtrans issues them; single-use, so a
 *     second charge with it is answered 411;
 *  2. a sandbox test card's number itself ("4811111111111114" or "4811 1111 1111 1114"). Midtrans refuses this;
 *     the simulator accepts it, reusable, so tests and scripts can charge a card without a tokenization step.
 * Anything else, including a token-shaped string the simulator never issued, is answered 411.
 */

export type CardOutcome = 'accept' | 'bank_deny' | 'fraud_deny' | 'challenge';

export interface CardProfile {
  pan: string;
  brand: 'visa' | 'mastercard' | 'other';
  /** "Full Authentication": the cardholder is 3DS-ready, so a charge with `authentication: true` waits for the OTP. */
  enrolled3ds: boolean;
  /** What the issuer and the fraud detection system answer once authentication (if any) is done. */
  outcome: CardOutcome;
}

const TEST_CARDS: readonly CardProfile[] = [
  { pan: '4811111111111114', brand: 'visa', enrolled3ds: true, outcome: 'accept' },
  { pan: '4911111111111113', brand: 'visa', enrolled3ds: true, outcome: 'bank_deny' },
  { pan: '4411111111111118', brand: 'visa', enrolled3ds: false, outcome: 'accept' },
  { pan: '4511111111111117', brand: 'visa', enrolled3ds: false, outcome: 'challenge' },
  { pan: '4611111111111116', brand: 'visa', enrolled3ds: false, outcome: 'fraud_deny' },
  { pan: '4711111111111115', brand: 'visa', enrolled3ds: false, outcome: 'bank_deny' },
  { pan: '5211111111111117', brand: 'mastercard', enrolled3ds: true, outcome: 'accept' },
  { pan: '5111111111111118', brand: 'mastercard', enrolled3ds: true, outcome: 'bank_deny' },
  { pan: '5410111111111116', brand: 'mastercard', enrolled3ds: false, outcome: 'accept' },
  { pan: '5510111111111115', brand: 'mastercard', enrolled3ds: false, outcome: 'challenge' },
  { pan: '5411111111111115', brand: 'mastercard', enrolled3ds: false, outcome: 'fraud_deny' },
  { pan: '5511111111111114', brand: 'mastercard', enrolled3ds: false, outcome: 'bank_deny' },
];

/**
 * A valid card outside the table is tokenized and approved without 3DS, as the sandbox does (Midtrans's own client
 * tests tokenize 5264 2210 3887 4659 and expect its charge captured).
 */
export function cardProfile(pan: string): CardProfile {
  return (
    TEST_CARDS.find((card) => card.pan === pan) ?? {
      pan,
      brand: pan.startsWith('4') ? 'visa' : /^5[1-5]/.test(pan) ? 'mastercard' : 'other',
      enrolled3ds: false,
      outcome: 'accept',
    }
  );
}

export interface ResolvedCard extends CardProfile {
  /** The issued token to spend once the charge is applied; undefined for the card-number convenience. */
  singleUseToken?: string;
  maskedCard: string;
}

export interface IssuedCardToken {
  pan: string;
  spent: boolean;
}

export function resolveCardToken(tokenId: unknown, issued: (tokenId: string) => IssuedCardToken | undefined): ResolvedCard | undefined {
  if (typeof tokenId !== 'string') return undefined;
  const token = issued(tokenId);
  if (token) return token.spent ? undefined : { ...cardProfile(token.pan), singleUseToken: tokenId, maskedCard: maskCard(token.pan) };
  const digits = tokenId.trim().replace(/[\s-]/g, '');
  const testCard = TEST_CARDS.find((card) => card.pan === digits);
  return testCard ? { ...testCard, maskedCard: maskCard(testCard.pan) } : undefined;
}

/** First 8 and last 4 digits: Midtrans's masked_card since its move to 8-digit BINs. */
export function maskCard(pan: string): string {
  return `${pan.slice(0, 8)}-${pan.slice(-4)}`;
}

/** token_id as Midtrans issues it: "<first 8 digits>-<last 4 digits>-<uuid>". */
export function newCardTokenId(pan: string): string {
  return `${maskCard(pan)}-${randomUUID()}`;
}

/** Get Token's `hash`: a one-way digest of the card number, the same for every token of one card. */
export function cardHash(pan: string): string {
  const hex = createHash('sha256').update(pan).digest('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join('-');
}

export function passesLuhn(digits: string): boolean {
  let sum = 0;
  [...digits].reverse().forEach((digit, index) => {
    const doubled = index % 2 === 1 ? Number(digit) * 2 : Number(digit);
    sum += doubled > 9 ? doubled - 9 : doubled;
  });
  return sum % 10 === 0;
}

/** The 3DS OTP the sandbox accepts. */
export const SANDBOX_3DS_OTP = '112233';
