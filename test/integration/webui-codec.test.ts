import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { Client } from '@temporalio/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTemporalCli } from '../../scripts/local-stack/binaries';
import { isolatedEnvironment } from '../../scripts/local-stack/service-environment';
import { ensureTemporalDevServer, type DevServer } from '../../scripts/local-stack/temporal-server';
import { paymentWorkflowId } from '../../src/api/payment-workflows';
import { createCodecServer } from '../../src/codec-server/app';
import { createLogger } from '../../src/logger';
import { launchChromium } from '../support/chromium';
import { createPaymentBody } from '../support/fixtures';
import { startService, type Service } from '../support/service-harness';

/**
 * An operator reads a payment in the Temporal Web UI, as `npm run dev` sets it up: the dev server's UI started with
 * `--ui-codec-endpoint` pointing at the codec server. The payment's Input shows its terms (order id) only to an
 * operator signed in on the codec server (with the UI's "include cross-origin credentials" on); with the codec server
 * down, or without the operator's sign-in, the UI shows the ciphertext. The CLI reads it with the operator's token. With SAVE_WEBUI_SCREENSHOTS=1 it writes the
 * README's two pictures, docs/images/webui-decoded.png and docs/images/webui-encrypted.png.
 */
// A Temporal server of its own (the shared one is headless), its UI on the next port, the codec server on the one after.
const TEMPORAL_PORT = Number(process.env.TEST_WEBUI_TEMPORAL_PORT ?? 17240);
const UI_URL = `http://127.0.0.1:${TEMPORAL_PORT + 1}`;
const CODEC_PORT = TEMPORAL_PORT + 2;
const CODEC_URL = `http://127.0.0.1:${CODEC_PORT}`;
const OPERATOR_TOKEN = randomBytes(32).toString('base64url');
const SCREENSHOTS = process.env.SAVE_WEBUI_SCREENSHOTS === '1' ? path.resolve('docs', 'images') : undefined;

let temporal: DevServer;
let s: Service;
let browser: Browser;
let codecServer: ServerType | undefined;
/** The status of every /decode the codec server answered: proof the UI asked it, and what it was told. */
const decodeAnswers: number[] = [];
let workflowId: string;
let orderId: string;

beforeAll(async () => {
  temporal = await ensureTemporalDevServer({
    port: TEMPORAL_PORT,
    uiPort: TEMPORAL_PORT + 1,
    codecEndpoint: CODEC_URL,
    logFile: path.join('.data', 'temporal-webui-test.log'),
  });
  if (!temporal.startedHere) throw new Error(`port ${TEMPORAL_PORT} is taken: set TEST_WEBUI_TEMPORAL_PORT to a free one`);
  s = await startService({ temporalAddress: temporal.address });

  // The payment's terms are what its workflow input holds (the customer's details never enter Temporal): the order
  // id is the marker a decoded Input shows and ciphertext hides.
  orderId = `WEBUI-${randomUUID().slice(0, 8)}`;
  const created = await s.api('POST', '/payments', createPaymentBody({ order_id: orderId }));
  expect([201, 202], JSON.stringify(created.body)).toContain(created.status);
  workflowId = paymentWorkflowId(created.body.payment_id as string);

  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (codecServer ? codecServer.close(() => resolve()) : resolve()));
  await s?.close();
  await temporal?.stop();
});

async function startCodecServer() {
  if (codecServer) return;
  const app = createCodecServer(
    {
      NODE_ENV: 'test',
      CODEC_OPERATOR_TOKENS: [OPERATOR_TOKEN],
      CODEC_ALLOWED_ORIGINS: [UI_URL],
      CODEC_SESSION_HOURS: 1,
      CODEC_BODY_LIMIT_BYTES: 8 * 1024 * 1024,
      TEMPORAL_NAMESPACE: 'default',
      PAYLOAD_ENCRYPTION_KEYS: [...s.payloadEncryptionKeys],
    },
    createLogger('silent', 'codec-server'),
  );
  codecServer = serve({
    fetch: async (request) => {
      const response = await app.fetch(request);
      if (request.method === 'POST' && new URL(request.url).pathname.endsWith('/decode')) decodeAnswers.push(response.status);
      return response;
    },
    port: CODEC_PORT,
    hostname: '127.0.0.1',
  });
  await new Promise<void>((resolve) => codecServer!.once('listening', () => resolve()));
}

/** The payment's page in the Web UI, once its Input panel shows what `shown` accepts. */
async function openPayment(context: BrowserContext, shown: (input: string) => boolean): Promise<{ page: Page; input: string }> {
  const page = await context.newPage();
  await page.goto(`${UI_URL}/namespaces/default/workflows/${workflowId}`);
  const inputPanel = page.locator('[data-testid="input-and-result"] [role="textbox"][aria-label="Input"]');
  let input = '';
  await expect
    .poll(async () => shown((input = await inputPanel.innerText().catch(() => ''))), { timeout: 60_000, interval: 500 })
    .toBe(true);
  return { page, input };
}

/** The workflow input as the server holds it (base64, as the UI shows a payload it could not decode). */
async function ciphertextOfInput(): Promise<string> {
  const withoutCodec = new Client({ connection: s.client.connection, namespace: 'default' });
  const history = await withoutCodec.workflow.getHandle(workflowId).fetchHistory();
  const [payload] = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  return Buffer.from(payload!.data!).toString('base64');
}

async function screenshot(page: Page, name: string) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, name), clip: { x: 0, y: 0, width: 1280, height: 720 } });
}

const newContext = () => browser.newContext({ viewport: { width: 1280, height: 900 } });

describe('a payment in the Temporal Web UI', () => {
  it('with the codec server down, the Input is ciphertext', async () => {
    const context = await newContext();
    const ciphertext = await ciphertextOfInput();
    const { input } = await openPayment(context, (text) => text.includes(ciphertext));
    expect(input).not.toContain(orderId);
    await context.close();
  });

  it('with the codec server up but no operator signed in, the codec server refuses (401) and the Input stays ciphertext', async () => {
    await startCodecServer();
    const context = await newContext();
    const ciphertext = await ciphertextOfInput();
    const { page, input } = await openPayment(context, (text) => text.includes(ciphertext));
    await expect.poll(() => decodeAnswers.length).toBeGreaterThan(0);
    expect(new Set(decodeAnswers)).toEqual(new Set([401]));
    expect(input).not.toContain(orderId);
    await screenshot(page, 'webui-encrypted.png');
    await context.close();
  });

  it('signed in on the codec server, with "include cross-origin credentials" on, the operator reads the payment\'s terms', async () => {
    decodeAnswers.length = 0;
    const context = await newContext();
    const login = await context.newPage();
    await login.goto(`${CODEC_URL}/login`);
    await login.getByLabel('Operator token').fill(OPERATOR_TOKEN);
    await login.getByRole('button', { name: 'Sign in' }).click();
    expect(await login.locator('body').innerText()).toContain('Signed in as operator');
    // What the UI's codec settings dialog stores (its "Use my browser setting" with the same endpoint and
    // "Include cross-origin credentials"); a UI deployed with TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true needs none of it.
    await context.addInitScript(
      `localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
       localStorage.setItem('endpoint', ${JSON.stringify(JSON.stringify(CODEC_URL))});
       localStorage.setItem('includeCredentials', 'true');`,
    );

    const { page, input } = await openPayment(context, (text) => text.includes(orderId));
    expect(input).toContain('"request"');
    expect(decodeAnswers).toContain(200);
    await screenshot(page, 'webui-decoded.png');
    await context.close();
  });
});

describe('the same payment with the Temporal CLI', () => {
  const cli = resolveTemporalCli();
  /**
   * The workflow's input as `temporal workflow show` prints it (the payload's data is base64), or the CLI's error.
   * Asynchronous: the codec server it calls runs in this process.
   */
  const showInput = async (...codecArgs: string[]) => {
    if (cli.kind !== 'path') throw new Error('no local Temporal CLI');
    const args = [
      'workflow',
      'show',
      '--address',
      temporal.address,
      '-w',
      workflowId,
      '-o',
      'json',
      '--codec-endpoint',
      CODEC_URL,
      ...codecArgs,
    ];
    const shown = await promisify(execFile)(cli.path, args, { env: isolatedEnvironment(), timeout: 60_000 }).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: '', stderr: `${error.stderr ?? ''}` }),
    );
    if (!shown.stdout) return shown.stderr;
    const history = JSON.parse(shown.stdout) as {
      events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } } }[];
    };
    const input = history.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[0]!;
    return Buffer.from(input.data, 'base64').toString();
  };

  it('shows the input decoded with --codec-auth "Bearer <operator token>", and not without it (the codec server says 401)', async () => {
    await startCodecServer();
    decodeAnswers.length = 0;
    expect(await showInput()).not.toContain(orderId);
    expect(new Set(decodeAnswers)).toEqual(new Set([401]));
    expect(await showInput('--codec-auth', `Bearer ${OPERATOR_TOKEN}`)).toContain(orderId);
  });
});
