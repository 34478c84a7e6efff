import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app';
import { launchChromium } from '../support/chromium';
import { createPaymentBody } from '../support/fixtures';
import { callApi, privateDatabase, serveOverHttp, startService, type Service } from '../support/service-harness';

/**
 * The operator console in a real (headless) browser, on the whole service: an operator signs in with a token, finds a
 * payment by its order id, opens its page, and redelivers from the review queue a delivery the transaction service
 * refused for good (a 4xx) the first time; the delivery then shows delivered. Around it: a wrong token, a form posted
 * without a session or from another origin. With UPDATE_SCREENSHOTS=1 it saves the README's pictures.
 */
const OPERATOR = { name: 'ana', token: 'integration-test-operator-token' };
const TEMPORAL_UI_URL = 'http://127.0.0.1:8233';
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? path.resolve('docs', 'images') : undefined;

let s: Service;
let browser: Browser;
let consoleUrl: string;
let closeConsole: () => Promise<void>;
let paymentId: string;
let orderId: string;
let failedDeliveryId: string;
/** The user service's failed delivery: resolved with a note instead of redelivered. */
let userDeliveryId: string;

/** The review queue lists oldest first: other test files' failed deliveries would push this test's off its page. */
let database: Awaited<ReturnType<typeof privateDatabase>>;

beforeAll(async () => {
  database = await privateDatabase();
  s = await startService({ databaseUrl: database.url });
  const served = await serveOverHttp(
    createApp({
      ...s.dependencies,
      config: { ...s.dependencies.config, NODE_ENV: 'test', OPERATOR_TOKENS: [OPERATOR], TEMPORAL_UI_URL, TEMPORAL_NAMESPACE: 'default' },
    }),
  );
  consoleUrl = served.url;
  closeConsole = served.close;
  browser = await launchChromium();

  // Both services refuse the first call of each event for good (422: a 4xx is final), then accept.
  s.receiver.respondWith((_target, attempt) => (attempt === 1 ? 422 : 200));
  const body = createPaymentBody({}, 'ORDER-CONSOLE');
  orderId = body.order_id;
  const created = await s.api('POST', '/payments', body);
  expect(created.status).toBe(201);
  paymentId = created.body.payment_id;
  await fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}/pay`, { method: 'POST' });
  const failed = await s.eventually(
    () => s.db.downstreamDelivery.findMany({ where: { paymentId, status: 'failed' }, orderBy: { target: 'asc' } }),
    (deliveries) => deliveries.length === 2,
  );
  [failedDeliveryId, userDeliveryId] = failed.map((delivery) => delivery.id) as [string, string];
  expect(failedDeliveryId).toMatch(/:transaction-service$/);
});
afterAll(async () => {
  await browser?.close();
  await closeConsole?.();
  await s?.close();
  await database?.drop();
});

async function screenshot(page: Page, name: string) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });
}

const newContext = () => browser.newContext({ viewport: { width: 1280, height: 800 } });
/** Every cookie the console set: the session's is its only one. */
const sessionCookies = (context: BrowserContext) => context.cookies();

async function signIn(context: BrowserContext, token: string) {
  const page = await context.newPage();
  await page.goto(`${consoleUrl}/console/payments`);
  expect(new URL(page.url()).pathname).toBe('/console/login');
  await page.getByLabel('Operator token').fill(token);
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.waitForLoadState();
  return { page, status: response.status() };
}

const transactionCalls = () => s.receiver.calls.filter((call) => call.path.startsWith('/transactions') && call.body && (call.body as { payment_id?: string }).payment_id === paymentId);

describe('the operator console', () => {
  it('refuses a wrong token: the error is shown and no session cookie is set', async () => {
    const context = await newContext();
    const { page, status } = await signIn(context, 'not-an-operator-token');
    expect(status).toBe(401);
    await expect(page.getByRole('alert').innerText()).resolves.toContain('not an operator token');
    expect(await sessionCookies(context)).toEqual([]);
    await context.close();
  });

  it('signing out ends the session: a copy of its cookie taken before opens nothing after', async () => {
    const context = await newContext();
    const { page } = await signIn(context, OPERATOR.token);
    // A copy of the cookie: a browser profile's backup, a HAR file, a proxy's log.
    const copied = (await sessionCookies(context)).map((c) => `${c.name}=${c.value}`).join('; ');
    const withCopy = () => fetch(`${consoleUrl}/console/payments`, { headers: { cookie: copied }, redirect: 'manual' });
    expect((await withCopy()).status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForLoadState();
    expect(await sessionCookies(context)).toEqual([]);
    const after = await withCopy();
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/console/login');
    await context.close();
  });

  it('shows a banner only for an outcome it names: ?done=__proto__ and the like show none', async () => {
    const context = await newContext();
    await signIn(context, OPERATOR.token);
    const cookie = (await sessionCookies(context)).map((c) => `${c.name}=${c.value}`).join('; ');
    for (const done of ['__proto__', 'constructor', 'toString', 'nothing-done']) {
      const html = await (await fetch(`${consoleUrl}/console/reviews?done=${done}`, { headers: { cookie } })).text();
      expect(html, done).not.toContain('role="status"');
    }
    const named = await (await fetch(`${consoleUrl}/console/reviews?done=resolved`, { headers: { cookie } })).text();
    expect(named).toContain('Resolved, with your note');
    await context.close();
  });

  it('refuses an action posted without a session, and does nothing', async () => {
    const response = await fetch(`${consoleUrl}/console/deliveries/${encodeURIComponent(failedDeliveryId)}/redeliver`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: consoleUrl, 'sec-fetch-site': 'same-origin' },
      body: 'back=%2Fconsole%2Freviews',
      redirect: 'manual',
    });
    expect(response.status).toBe(401);
    await expect(response.text()).resolves.toContain('sign in first');
    // The API key is no operator token either.
    const withApiKey = await callApi(consoleUrl, 'POST', `/console/deliveries/${encodeURIComponent(failedDeliveryId)}/redeliver`, 'back=x', {
      'content-type': 'application/x-www-form-urlencoded',
      origin: consoleUrl,
    });
    expect(withApiKey.status).toBe(401);
    expect((await s.db.downstreamDelivery.findUnique({ where: { id: failedDeliveryId } }))?.status).toBe('failed');
    expect(transactionCalls()).toHaveLength(1);
  });

  it('refuses a form posted from another origin, even with a session, sign-in included', async () => {
    const context = await newContext();
    const { page } = await signIn(context, OPERATOR.token);
    const cookie = (await sessionCookies(context)).map((c) => `${c.name}=${c.value}`).join('; ');
    expect(cookie).not.toBe('');
    const forged = await fetch(`${consoleUrl}/console/deliveries/${encodeURIComponent(failedDeliveryId)}/redeliver`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site', cookie },
      body: 'back=%2Fconsole%2Freviews',
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
    expect(transactionCalls()).toHaveLength(1);
    // The operators' API takes a token, never the console's cookie: a page of the same site posting a "simple" request
    // (text/plain, no preflight) with the browser's cookie is not an operator there either.
    for (const path of [
      `/operations/deliveries/${encodeURIComponent(failedDeliveryId)}/redeliver`,
      `/operations/reviews/${encodeURIComponent(`delivery:${failedDeliveryId}`)}/resolve`,
      '/payments',
    ]) {
      const viaApi = await fetch(`${consoleUrl}${path}`, {
        method: path === '/payments' ? 'GET' : 'POST',
        headers: { 'content-type': 'text/plain', origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site', cookie },
        ...(path === '/payments' ? {} : { body: '{"note":"forged"}' }),
      });
      expect(viaApi.status, path).toBe(401);
    }
    expect(transactionCalls()).toHaveLength(1);
    expect(await s.db.operatorAction.count({ where: { note: 'forged' } })).toBe(0);
    // Nor can another origin sign a browser in (under a token of its choosing).
    const forgedSignIn = await fetch(`${consoleUrl}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' },
      body: new URLSearchParams({ token: OPERATOR.token }),
      redirect: 'manual',
    });
    expect(forgedSignIn.status).toBe(403);
    expect(forgedSignIn.headers.get('set-cookie')).toBeNull();
    await page.close();
    await context.close();
  });

  it('pages through a search with its next-page link, and refuses a filter that is not one', async () => {
    // Read-model rows are all the search reads: 55 payments of one user, a minute apart.
    const userId = `console-paging-${Date.now().toString(36)}`;
    const createdAt = Date.now() - 3_600_000;
    await s.db.payment.createMany({
      data: Array.from({ length: 55 }, (_, index) => ({
        id: `pay-${userId}-${String(index).padStart(2, '0')}`,
        orderId: `ORDER-${userId}-${index}`,
        userId,
        paymentMethod: 'gopay',
        amount: 10_000n + BigInt(index),
        status: 'success',
        createdAt: new Date(createdAt + index * 60_000),
      })),
    });
    const context = await newContext();
    const { page } = await signIn(context, OPERATOR.token);
    await page.getByLabel('User id').fill(userId);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForLoadState();
    const shown = () => page.locator('tbody tr td:nth-child(2)').allInnerTexts();
    const first = await shown();
    expect(first).toHaveLength(50);
    expect(first[0]).toBe(`pay-${userId}-54`); // newest first
    await page.getByRole('link', { name: /Next page/ }).click();
    await page.waitForLoadState();
    const second = await shown();
    expect(second).toEqual([4, 3, 2, 1, 0].map((index) => `pay-${userId}-0${index}`));
    await expect(page.getByRole('link', { name: /Next page/ }).count()).resolves.toBe(0);
    await expect(page.getByLabel('User id').inputValue()).resolves.toBe(userId);

    const refused = await page.goto(`${consoleUrl}/console/payments?amount_min=-5&status=lost`);
    expect(refused?.status()).toBe(400);
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/^Not searched: .*status.*amount_min|^Not searched: .*amount_min.*status/);
    const forgedCursor = await page.goto(`${consoleUrl}/console/payments?cursor=bm90LW91cnM`);
    expect(forgedCursor?.status()).toBe(400);
    await context.close();
  });

  it('signs in, finds the payment by order id, opens its page, and redelivers its failed delivery from the review queue', async () => {
    const context = await newContext();
    const { page, status } = await signIn(context, OPERATOR.token);
    expect(status).toBe(303);
    const [cookie] = await sessionCookies(context);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await expect(page.locator('header').innerText()).resolves.toContain(`Signed in as ${OPERATOR.name}`);

    // Search by order id: one row, this payment.
    await page.getByLabel('Order id').fill(orderId);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForLoadState();
    const rows = page.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().innerText()).resolves.toContain(paymentId);
    await screenshot(page, 'console-search.png');

    // The payment's page: status, amount, the failed delivery, the audit trail and the link to its workflow.
    await rows.first().getByRole('link', { name: paymentId }).click();
    await page.waitForLoadState();
    const main = page.locator('main');
    await expect(main.locator('h1').innerText()).resolves.toContain('success');
    const text = await main.innerText();
    expect(text).toContain('Rp\u00a0250.000');
    expect(text).toContain('transaction-service');
    expect(text).toContain('HTTP 422');
    expect(text).toContain('Siti Rahma');
    expect(text).not.toContain('+6281234567890');
    await expect(page.getByRole('link', { name: /workflow in the Temporal Web UI/ }).getAttribute('href')).resolves.toBe(
      `${TEMPORAL_UI_URL}/namespaces/default/workflows/payment-${paymentId}`,
    );
    const deliveryRow = (id: string) => page.locator(`tr[data-row="${id}"]`);
    await expect(deliveryRow(failedDeliveryId).innerText()).resolves.toContain('failed');
    await screenshot(page, 'console-payment.png');

    // The review queue lists the failed delivery; redeliver it (post/redirect/get back to the queue).
    await page.getByRole('link', { name: 'Review queue' }).click();
    await page.waitForLoadState();
    const item = page.locator(`tr[data-row="delivery:${failedDeliveryId}"]`);
    await expect(item.innerText()).resolves.toContain(paymentId);
    await screenshot(page, 'console-reviews.png');
    await item.getByRole('button', { name: 'Redeliver' }).click();
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe('/console/reviews');
    // The action waits a while for the service's answer; under load it may come back before it (then "under way").
    await expect(page.getByRole('status').innerText()).resolves.toMatch(/^Redelivered: the service accepted it\.$|^Redelivery under way/);

    // The user service's failed delivery is resolved by hand, with a note (shown as text, as everything typed).
    const note = 'history fixed by hand <b>in the user service</b>';
    const userItem = page.locator(`tr[data-row="delivery:${userDeliveryId}"]`);
    await userItem.getByRole('textbox').fill(note);
    await userItem.getByRole('button', { name: 'Resolve' }).click();
    await page.waitForLoadState();
    await expect(page.getByRole('status').innerText()).resolves.toContain('Resolved');
    await expect(userItem.count()).resolves.toBe(0);

    // The transaction service took the second call; the payment's page shows the delivery delivered.
    await s.eventually(
      async () => (await s.db.downstreamDelivery.findUnique({ where: { id: failedDeliveryId } }))?.status,
      (deliveryStatus) => deliveryStatus === 'delivered',
    );
    expect(transactionCalls().map((call) => call.answeredWith)).toEqual([422, 200]);
    await page.goto(`${consoleUrl}/console/payments/${encodeURIComponent(paymentId)}`);
    await expect(deliveryRow(failedDeliveryId).innerText()).resolves.toContain('delivered');
    const audit = await page.locator('main').innerText();
    expect(audit).toContain(`${OPERATOR.name}\tredeliver`);
    expect(audit).toContain(`${OPERATOR.name}\tresolve\tdelivery:${userDeliveryId}\t${note}`);
    await expect(page.locator('main b').count()).resolves.toBe(0);
    await screenshot(page, 'console-payment-redelivered.png');
    // Reconcile now, from the payment's page: back on it, with the operator's action in its audit.
    const reconciles = async () => (await page.locator('main').innerText()).split(`${OPERATOR.name}\treconcile\t${paymentId}`).length - 1;
    const reconcilesBefore = await reconciles();
    await page.getByRole('button', { name: 'Reconcile now' }).click();
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe(`/console/payments/${paymentId}`);
    await expect(page.getByRole('status').innerText()).resolves.toContain('Asked Midtrans');
    expect(await reconciles()).toBe(reconcilesBefore + 1);

    await page.goto(`${consoleUrl}/console/reviews`);
    await expect(page.locator(`tr[data-row="delivery:${failedDeliveryId}"]`).count()).resolves.toBe(0);

    // What an operator types comes back as text, never as markup.
    const markup = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    await page.goto(`${consoleUrl}/console/payments?order_id=${encodeURIComponent(markup)}`);
    await expect(page.getByLabel('Order id').inputValue()).resolves.toBe(markup);
    await expect(page.locator('main img, main script').count()).resolves.toBe(0);
    await expect(page.locator('main').innerText()).resolves.toContain('No payment matches.');

    // Signing out ends the session: the pages send the browser to sign in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(await sessionCookies(context)).toEqual([]);
    await context.close();
  });

  it('after an action, the way back never leads off the console (no open redirect)', async () => {
    const context = await newContext();
    await signIn(context, OPERATOR.token);
    const cookie = (await sessionCookies(context)).map((c) => `${c.name}=${c.value}`).join('; ');
    const reconcileThenBackTo = async (back: string) => {
      const reconciled = await fetch(`${consoleUrl}/console/payments/${paymentId}/reconcile`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: consoleUrl, 'sec-fetch-site': 'same-origin', cookie },
        body: new URLSearchParams({ back }),
        redirect: 'manual',
      });
      expect(reconciled.status, back).toBe(303);
      return reconciled.headers.get('location');
    };
    await expect(reconcileThenBackTo('/console/reviews')).resolves.toBe('/console/reviews?done=reconciling');
    for (const back of ['https://evil.example/console/', '//evil.example/console/', '/console//evil.example']) {
      // Anywhere else, the payment's own page.
      await expect(reconcileThenBackTo(back), back).resolves.toBe(`/console/payments/${paymentId}?done=reconciling`);
    }
    await context.close();
  });
});
