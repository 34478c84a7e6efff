import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium';
import { createPaymentBody, tokenizeTestCard } from '../support/fixtures';
import { startService, type Service } from '../support/service-harness';

/**
 * A person paying in a real (headless) browser: Debian's Chromium driven by playwright-core. It pays a VA payment
 * from the simulator's control panel, a DANA payment on the Snap redirect page, and a card tokenized as a merchant's
 * front end does (GET /v2/token with the client key) on its 3-D Secure page, then sees each succeed through the
 * service's API. `.ci/run` installs the `chromium` package.
 */
let s: Service;
let browser: Browser;
beforeAll(async () => {
  s = await startService();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

const statusOf = (paymentId: string) => s.api('GET', `/payments/${paymentId}/status`).then((r) => r.body.status as string);

describe('paying in a browser', () => {
  it('a VA payment paid from the /_simulator control panel becomes success', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody());
    expect(created.status).toBe(201);
    const { payment_id: paymentId } = created.body;
    const page = await browser.newPage();
    await page.goto(`${s.simulator.url}/_simulator`);
    const row = page.locator('tr', { hasText: paymentId });
    await expect(row.count()).resolves.toBe(1);
    await row.getByRole('button', { name: 'pay', exact: true }).click();
    await page.waitForLoadState();
    await s.eventually(
      () => statusOf(paymentId),
      (status) => status === 'success',
    );
    await page.close();
  });

  it('a DANA payment paid on the Snap redirect page becomes success', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'dana', bank: undefined }));
    expect(created.status).toBe(201);
    const { payment_id: paymentId, payment_instructions: instructions } = created.body;
    expect(instructions.kind).toBe('redirect');
    const page = await browser.newPage();
    await page.goto(instructions.redirect_url);
    await expect(page.locator('body').innerText()).resolves.toContain(paymentId);
    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.waitForLoadState();
    await s.eventually(
      () => statusOf(paymentId),
      (status) => status === 'success',
    );
    await page.close();
  });

  it('a card tokenized with the client key and authenticated with OTP 112233 on the 3-D Secure page becomes success', async () => {
    const token = await tokenizeTestCard(s.simulator.url);
    expect(token.status_code).toBe('200');

    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'credit_card', bank: undefined, card_token: token.token_id }));
    expect(created.status).toBe(201);
    const { payment_id: paymentId, payment_instructions: instructions } = created.body;
    expect(instructions.kind).toBe('redirect');
    const page = await browser.newPage();
    await page.goto(instructions.redirect_url);
    await page.getByLabel('OTP').fill('112233');
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.waitForLoadState();
    await expect(page.locator('body').innerText()).resolves.toContain('capture');
    await s.eventually(
      () => statusOf(paymentId),
      (status) => status === 'success',
    );
    await page.close();
  });
});
