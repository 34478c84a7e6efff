import { pool } from '../../support/fixtures';
import { apiClient, http, paymentBody, simulatorClient, type HttpAnswer, type SimulatorClient } from './helpers';
import type { ChaosStack } from './stack';

export interface ChaosContext {
  stack: ChaosStack;
  api: ReturnType<typeof apiClient>;
  sim: SimulatorClient;
}

export function chaosContext(stack: ChaosStack): ChaosContext {
  return { stack, api: apiClient(stack), sim: simulatorClient(stack) };
}

/** Creates `count` payments through the API and insists on 201 (the charge step finished). */
export async function createCharged(
  ctx: ChaosContext,
  count: number,
  options: Omit<Parameters<typeof paymentBody>[0], 'tag'> & { tag: string },
  concurrency = 6,
): Promise<string[]> {
  const answers = await pool(Array.from({ length: count }), concurrency, () => ctx.api('POST', '/payments', paymentBody(options)));
  const bad = answers.filter((a) => a.status !== 201);
  if (bad.length > 0) throw new Error(`expected 201 for every create, got ${bad.map(describeAnswer).slice(0, 5).join('; ')}`);
  return answers.map((a) => a.body.payment_id as string);
}

export function describeAnswer(answer: HttpAnswer): string {
  return answer.error ? `no answer (${answer.error})` : `${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
}

/** Counts answers by HTTP status ("0" = no answer). */
export function statusHistogram(answers: readonly HttpAnswer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) out[String(a.status)] = (out[String(a.status)] ?? 0) + 1;
  return out;
}

export const histogramText = (h: Record<string, number>) =>
  Object.entries(h)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, n]) => `${status === '0' ? 'no answer' : status}: ${n}`)
    .join(', ');

/** POSTs a notification body (an object, or exact bytes) to the API's webhook, as Midtrans would. */
export const postWebhook = (ctx: ChaosContext, body: Record<string, unknown> | string) =>
  http(`${ctx.stack.apiUrl}/payments/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'Veritrans' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    timeoutMs: 60_000,
  });
