import { Hono } from 'hono';
import { cardHash, newCardTokenId, passesLuhn } from '../cards';
import type { SimulatorDeps } from '../context';
import { apiError, MESSAGES, validationError } from '../responses';

/**
 * GET /v2/token: the browser sends the card (client_key, card_number, card_exp_month, card_exp_year, card_cvv as
 * query parameters) and gets a single-use token_id for the merchant's charge; the card number never reaches the
 * merchant. Authenticated by the public client key, not the server key.
 *
 * Every answer is HTTP 200 with the outcome in status_code, as Midtrans documents for this endpoint (its
 * validation error is listed under 200): Midtrans's JS library reads it as JSONP, which never sees an HTTP status.
 */
export function cardTokenRoutes(deps: SimulatorDeps): Hono {
  const tokens = new Hono();

  tokens.get('/v2/token', (c) => {
    const query = c.req.query();
    if (query.client_key !== deps.clientKey) return c.json(apiError('401', MESSAGES.unauthorized));
    const messages: string[] = [];
    const pan = readCardNumber(query.card_number, messages);
    readExpiry(query.card_exp_month, query.card_exp_year, new Date(), messages);
    if (!/^\d{3,4}$/.test(query.card_cvv ?? '')) messages.push('card_cvv must be 3 or 4 digits');
    if (messages.length > 0 || pan === undefined) return c.json(validationError(messages));

    const tokenId = newCardTokenId(pan);
    deps.store.addCardToken(tokenId, pan);
    return c.json({
      status_code: '200',
      status_message: 'Credit card token is created as Token ID.',
      token_id: tokenId,
      hash: cardHash(pan),
    });
  });

  return tokens;
}

/** Digits with optional spaces ("4811 1111 1111 1114"), 12 to 19 of them, passing the Luhn check. */
function readCardNumber(value: string | undefined, messages: string[]): string | undefined {
  const digits = (value ?? '').replace(/ /g, '');
  if (digits === '') return void messages.push('card_number is required');
  if (!/^\d{12,19}$/.test(digits)) return void messages.push('card_number must be 12 to 19 digits');
  if (!passesLuhn(digits)) return void messages.push('card_number does not match with luhn algorithm');
  return digits;
}

/** MM and YYYY (two-digit years are read as 20YY); a card is valid through the end of its expiry month. */
function readExpiry(month: string | undefined, year: string | undefined, now: Date, messages: string[]): void {
  const expiryMonth = /^\d{1,2}$/.test(month ?? '') ? Number(month) : NaN;
  if (!(expiryMonth >= 1 && expiryMonth <= 12)) messages.push('card_exp_month must be a month between 01 and 12');
  const expiryYear = /^\d{4}$/.test(year ?? '') ? Number(year) : /^\d{2}$/.test(year ?? '') ? 2000 + Number(year) : NaN;
  if (Number.isNaN(expiryYear)) return void messages.push('card_exp_year must be a year in YYYY format');
  const thisYear = now.getUTCFullYear();
  if (expiryYear < thisYear) messages.push('card_exp_year must be greater than this year');
  else if (expiryYear === thisYear && expiryMonth < now.getUTCMonth() + 1)
    messages.push("card_exp_month must be greater than this year's month");
}
