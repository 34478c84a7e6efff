import type { CardScenario } from './store';

/**
 * Midtrans sandbox test cards (reference §8) and the simulator's stand-in for browser tokenization.
 *
 * There is no tokenization endpoint here, so `credit_card.token_id` names the card directly, in either form:
 *  1. A Midtrans-shaped token "<first 6 digits>-<last 4 digits>-<anything>", e.g. "481111-1114-6a1c…", which is
 *     what real sandbox tokenization returns. Like a real token it is single-use: a second charge with the same
 *     token_id is answered 411.
 *  2. The card number itself, digits with optional spaces or dashes, e.g. "4811111111111114" or
 *     "4811 1111 1111 1114". A simulator convenience; reusable.
 * Anything else, or a card that is not in the table below, is answered 411 like an invalid token.
 */
interface TestCard {
  pan: string;
  scenario: CardScenario;
  brand: 'visa' | 'mastercard';
}

const TEST_CARDS: readonly TestCard[] = [
  // Accept after 3DS: the charge answers pending with redirect_url; paying (OTP page or /_simulator pay) captures.
  { pan: '4811111111111114', scenario: 'accept_3ds', brand: 'visa' },
  // Accept without 3DS: captured at once.
  { pan: '4411111111111118', scenario: 'accept', brand: 'visa' },
  // Mastercard accept: 3DS only when the charge asks for `authentication: true`.
  { pan: '5211111111111117', scenario: 'accept_3ds_optional', brand: 'mastercard' },
  // Denied by the issuing bank: status_code 202, deny, fraud_status accept.
  { pan: '4911111111111113', scenario: 'bank_deny', brand: 'visa' },
  // Denied by the fraud detection system: status_code 202, deny, fraud_status deny.
  { pan: '4611111111111116', scenario: 'fraud_deny', brand: 'visa' },
  // Simulator choice (not in the reference): captured but held for review, capture + challenge.
  { pan: '4511111111111117', scenario: 'challenge', brand: 'visa' },
];

export interface ResolvedCard extends TestCard {
  singleUse: boolean;
  maskedCard: string;
}

export function resolveCardToken(tokenId: unknown): ResolvedCard | undefined {
  if (typeof tokenId !== 'string') return undefined;
  const token = tokenId.trim();

  const midtransShaped = /^(\d{6})-(\d{4})-\S+$/.exec(token);
  if (midtransShaped) {
    const [, bin, last4] = midtransShaped;
    const card = TEST_CARDS.find((c) => c.pan.startsWith(bin!) && c.pan.endsWith(last4!));
    return card ? { ...card, singleUse: true, maskedCard: maskCard(card.pan) } : undefined;
  }

  const digits = token.replace(/[\s-]/g, '');
  if (/^\d{13,19}$/.test(digits)) {
    const card = TEST_CARDS.find((c) => c.pan === digits);
    return card ? { ...card, singleUse: false, maskedCard: maskCard(card.pan) } : undefined;
  }
  return undefined;
}

function maskCard(pan: string): string {
  return `${pan.slice(0, 6)}-${pan.slice(-4)}`;
}

/** The 3DS OTP the sandbox accepts (reference §8). */
export const SANDBOX_3DS_OTP = '112233';
