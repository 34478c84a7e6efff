/** How the console writes money and times: rupiah as Indonesians read them, times in UTC (as the database holds them). */

const RUPIAH = new Intl.NumberFormat('id-ID', { style: 'currency', currency: 'IDR', maximumFractionDigits: 0 });

/** Whole rupiah (a number or the database's bigint) as "Rp 250.000". */
export const rupiah = (amount: number | bigint) => RUPIAH.format(amount);

/** A Date or an ISO string as "2026-12-03 11:53:55 UTC"; an empty string for none. */
export function utc(at: Date | string | null | undefined): string {
  if (at === null || at === undefined) return '';
  const date = typeof at === 'string' ? new Date(at) : at;
  return Number.isNaN(date.getTime()) ? String(at) : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A JSON detail in one line of text (the page escapes it like any text). */
export const oneLine = (detail: unknown) => (detail === null || detail === undefined ? '' : JSON.stringify(detail));

/** "bank_transfer (bca)", or the method alone when it has no bank. */
export const methodOf = (payment: { paymentMethod: string; bank: string | null }) =>
  payment.bank ? `${payment.paymentMethod} (${payment.bank})` : payment.paymentMethod;
