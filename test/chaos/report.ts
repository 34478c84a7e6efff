import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResults, Source } from './support/results';

/**
 * Renders chaos-suite results into docs/reliability.md, between the markers
 *   <!-- chaos-report:start --> … <!-- chaos-report:end -->
 * keeping everything outside them (the hand-written parts) as it is.
 *
 *   npx tsx test/chaos/report.ts --full .data/chaos/results-full.json \
 *     --bounded .data/chaos/results-bounded-<run 1>.json --bounded .data/chaos/results-bounded-<run 2>.json
 *
 * Every figure comes from a results file; the table says which run (mode) and whose record it is.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = path.join(root, 'docs', 'reliability.md');
const START = '<!-- chaos-report:start -->';
const END = '<!-- chaos-report:end -->';

const SOURCE_TEXT: Record<Source, string> = {
  simulator: 'Midtrans simulator',
  receiver: 'downstream receiver',
  temporal: 'Temporal (workflow histories, task-queue pollers)',
  database: 'PostgreSQL read model / audit log',
  api: 'API answers',
  schemathesis: 'schemathesis report',
  suite: 'the suite itself',
};

/** The numbering of the reliability issue; the doc lists scenarios in this order (5e runs last but belongs with 5). */
const NUMBER: Record<string, string> = {
  'worker-kill': '1',
  'temporal-kill': '2',
  'temporal-postgres-restart': '2b',
  'postgres-outage': '3',
  'postgres-restore': '3b',
  'gateway-faults': '4',
  'webhook-forged': '5a',
  'webhook-duplicates': '5b',
  'webhook-out-of-order': '5c',
  'webhook-amount-mismatch': '5d',
  'webhook-dropped': '5e',
  'webhook-edited': '5f',
  'webhook-redirect': '5g',
  'webhook-reformatted': '5h',
  'webhook-unsigned': '5i',
  'concurrent-refunds': '6',
  'api-fuzzing': '7',
};
const rank = (id: string) => (Object.keys(NUMBER).indexOf(id) === -1 ? 99 : Object.keys(NUMBER).indexOf(id));

/** What each scenario does. */
const WHAT: Record<string, string> = {
  'worker-kill':
    'N payments in flight in three groups: **A** creates fired at once, and the worker is killed (SIGKILL to its process group) as soon as a third of their charge requests have reached Midtrans; **B** charged and waiting for the customer: while the worker is dead half are paid at Midtrans and half are canceled through the API (the cancel waits for a worker); **C** paid before the kill while the downstream receiver answers 503 to the first two attempts of every call, so their notifications are between retries when the worker dies. The worker is started again; group A is paid once Midtrans has each order. The right final state is the one Midtrans reports.',
  'temporal-kill':
    'N payments: **P** charged, half paid at Midtrans just before the kill and half while Temporal is down (the webhook cannot signal: the API answers 503, Midtrans retries); **Q** creates with an Idempotency-Key, half sent as the Temporal server is killed (SIGKILL) and half while it is dead. The server is started again on the same database: the dev server on its SQLite file, or, on the production topology (`npm run test:stack`), the Temporal server on its PostgreSQL. A client that got 503 (or nothing) retries the same request with the same key, as the API asks.',
  'temporal-postgres-restart':
    "Production topology only (`npm run test:stack`). The same groups as scenario 2, but what goes down is Temporal's own PostgreSQL (`pg_ctl stop -m fast` under the running server), started again after the same time; the Temporal server itself is not restarted.",
  'postgres-outage':
    'N payments: **R** charged, half paid just before `pg_ctl stop -m fast` and half during the outage (the webhook cannot store the notification and must answer 503); **S** created during the outage (the workflow starts; its first write retries until PostgreSQL is back). Meanwhile the suite reads `GET /payments/{id}`, `GET /payments/{id}/status` and `/ready` every 250 ms. PostgreSQL is then started again (`ensurePrivatePostgres`); the API is not restarted.',
  'postgres-restore':
    'A backup (`pg_dump`) is taken while payments live; then writes go on: **A** (GoPay, paid before the backup) half refunded, **C** created after the backup and half paid. The backup is restored over the live database (`pg_restore --clean --single-transaction`) while **B** (pending) are paid at Midtrans. Every A payment is then refunded once more (its next transition); C payments get none. Counted against each workflow\'s own query: the read model\'s state and audit trail after the next transition, then after `npm run read-model:rebuild`; activities on their third attempt or later; charges and refunds at Midtrans.',
  'gateway-faults':
    "Phase 1: the simulator fails 30% of Core API calls (seeded): 15% answered 500/503 with nothing applied, 5% never answered until the client gives up (5 s), and for mutations 10% applied then answered 500 or cut. N payments of ten method/bank kinds are created, paid, confirmed by the workflow, and the refundable ones refunded (partial for GoPay/QRIS, full for ShopeePay). Phase 2 (`ambiguousRate` 1, so the ambiguous path is exercised for sure): every charge is applied then answered 500 or cut; the workflow's retry asks for the status first and carries on. Then every refund is applied then answered badly; the fault is lifted once Midtrans has applied each refund, and the retry (same `refund_key`) gets Midtrans's stored answer.",
  'webhook-forged':
    "K notifications with bad signatures (random, signed with another key, one digit flipped, missing, amount changed after signing) for pending payments, with status settlement / capture / deny / cancel / expire / refund. Plus validly signed notifications whose `transaction_status` was changed (Midtrans's signature does not cover it).",
  'webhook-duplicates':
    'One payment paid at Midtrans; the simulator then redelivers the same settlement notification byte for byte K times (its `notify` control), in batches, racing the first delivery.',
  'webhook-out-of-order':
    "The simulator holds notifications for 5 s and then sends them newest first (`notificationReorder`): each payment's settlement arrives before its pending.",
  'webhook-amount-mismatch':
    'A validly signed settlement notification for 290,000.00 on a 300,000 IDR payment; afterwards the customer really pays.',
  'webhook-edited':
    "K copies of five payments' genuine pending notifications (signed by Midtrans) with the unsigned fields edited: `transaction_status` (settlement, capture, refund, partial_refund, cancel, expire, deny, chargeback), `transaction_id` (an unknown one, or another payment's), `fraud_status`, `settlement_time`, `refund_amount`. Counted: transitions, refunds at Midtrans, downstream calls.",
  'webhook-redirect':
    "Payments A and B paid; A's genuine settlement re-sent K/10 times with B's `transaction_id`; then A is refunded 50,000 IDR. Counted at Midtrans: which transaction the refund went to.",
  'webhook-reformatted':
    'One paid payment; its genuine settlement sent K times again with keys reordered and whitespace changed (the bytes differ, the meaning does not). Counted: signals the workflow received.',
  'webhook-unsigned':
    'K requests with forged signatures and 60 KB bodies. Counted: the growth of `rejected_notifications` (with its indexes) and of `webhook_notifications`.',
  'concurrent-refunds':
    'R refund requests at once on one 1,000,000 IDR GoPay payment, random amounts (20,000–90,000 IDR, seeded) adding up to more than was paid.',
  'api-fuzzing':
    '`schemathesis run http://127.0.0.1:27000/openapi.json` with the API key, phases coverage + fuzzing + stateful, checks `not_a_server_error` and `response_schema_conformance`, one worker. Half of the `{payment_id}` parameters are real payments (pending QRIS, paid GoPay, paid VA), so the fuzzer reaches the workflows (cancels and refunds included). In the full run, rounds with further seeds are added until schemathesis itself has sent 10,000 requests in this run (counted from its own report). The stateful phase follows the OpenAPI links from `POST /payments` (created with a fixed amount and items so the generated payments exist) to the routes of each payment; the figures count its scenarios and the steps that followed a link, from the events schemathesis reports. The in-process fast-check fuzz of `npm test` (test/integration/api-fuzz.test.ts) is a separate test and is not counted here.',
  'webhook-dropped':
    'Payments paid at Midtrans while `notificationDropRate` is 1: no settlement notification is ever sent. The workflow asks Midtrans for the status 1 minute after its start; nothing else can tell it. These payments are started first in the run and checked last, so the other scenarios (and their chaos) run during that minute.',
};

function parseArgs(argv: string[]) {
  const out: { full?: string; bounded: string[]; out: string } = { bounded: [], out: DOC };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (!value) throw new Error(`${flag} needs a value`);
    if (flag === '--full') out.full = value;
    else if (flag === '--bounded') out.bounded.push(value);
    else if (flag === '--out') out.out = value;
    else throw new Error(`unknown option ${flag}`);
  }
  return out;
}

const load = (file: string): RunResults => JSON.parse(readFileSync(path.resolve(file), 'utf8')) as RunResults;
const cell = (v: unknown) =>
  String(v ?? '–')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ');
const seconds = (ms?: number) => (ms === undefined ? '–' : `${Math.round(ms / 1000)} s`);

export function render(full: RunResults | undefined, bounded: RunResults[]): string {
  const runs = [...(full ? [full] : []), ...bounded];
  if (runs.length === 0) throw new Error('no results given');
  const topology = (r: RunResults) => (r.topology === 'stack' ? ', production Temporal' : '');
  const labels = runs.map((r) => (r.mode === 'full' ? 'Full' : `Bounded ${bounded.indexOf(r) + 1}`) + topology(r));
  const lines: string[] = [];
  lines.push(START, '', '_Generated by `test/chaos/report.ts` from the results files of these runs; do not edit by hand._', '');
  lines.push('| Run | Mode and sizes | Started | Took | Scenarios passed | Machine |', '|---|---|---|---|---|---|');
  for (const [i, run] of runs.entries()) {
    const s = run.sizes;
    const sizes =
      run.mode === 'full'
        ? `full: ${s.paymentsPerScenario} payments per scenario, ${s.forgedNotifications} forged, ${s.duplicateDeliveries} duplicates, ${s.concurrentRefunds} concurrent refunds`
        : `bounded (CHAOS_MODE=bounded): ${s.paymentsPerScenario} payments per scenario, ${s.forgedNotifications} forged, ${s.duplicateDeliveries} duplicates, ${s.concurrentRefunds} concurrent refunds`;
    const passed = run.scenarios.filter((x) => x.passed).length;
    lines.push(
      `| ${labels[i]} | ${sizes} | ${run.startedAt.slice(0, 19).replace('T', ' ')} UTC | ${seconds(run.durationMs)} | ${passed} / ${run.scenarios.length} | ${run.machine.cpus} CPUs, ${run.machine.memoryGiB} GiB, Node ${run.machine.node} |`,
    );
  }
  lines.push('');

  const order = [...new Set(runs.flatMap((r) => r.scenarios.map((s) => s.id)))].sort((a, b) => rank(a) - rank(b));
  const reference = full ?? bounded[0]!;
  lines.push('### Summary', '', `| Scenario | ${labels.join(' | ')} |`, `|---|${labels.map(() => '---').join('|')}|`);
  for (const id of order) {
    const title = reference.scenarios.find((s) => s.id === id)?.title ?? runs.flatMap((r) => r.scenarios).find((s) => s.id === id)!.title;
    const results = runs.map((r) => {
      const s = r.scenarios.find((x) => x.id === id);
      return s ? `${s.passed ? 'passed' : '**FAILED**'} (${seconds(s.durationMs)})` : 'not run';
    });
    lines.push(`| ${NUMBER[id] ?? ''} ${cell(title)} | ${results.join(' | ')} |`);
  }
  lines.push('');

  for (const id of order) {
    const title = runs.flatMap((r) => r.scenarios).find((s) => s.id === id)!.title;
    lines.push(`### ${NUMBER[id] ?? '?'}. ${title}`, '');
    if (WHAT[id]) lines.push(`**What was done.** ${WHAT[id]}`, '');
    const labelOrder = [...new Set(runs.flatMap((r) => r.scenarios.find((s) => s.id === id)?.figures.map((f) => f.label) ?? []))];
    lines.push(`| What was counted | ${labels.join(' | ')} | Counted from |`, `|---|${labels.map(() => '---').join('|')}|---|`);
    for (const label of labelOrder) {
      const values = runs.map((r) => r.scenarios.find((s) => s.id === id)?.figures.find((f) => f.label === label));
      const source = values.find(Boolean)!.source;
      lines.push(`| ${cell(label)} | ${values.map((v) => cell(v?.value)).join(' | ')} | ${SOURCE_TEXT[source]} |`);
    }
    const notes = [...new Set(runs.flatMap((r) => r.scenarios.find((s) => s.id === id)?.notes ?? []))];
    if (notes.length > 0) lines.push('', ...notes.map((note) => `- ${note}`));
    lines.push('');
  }
  lines.push(END);
  return lines.join('\n');
}

const SKELETON = `# Reliability\n\n${START}\n${END}\n`;

function main() {
  const args = parseArgs(process.argv.slice(2));
  const full = args.full ? load(args.full) : undefined;
  const bounded = args.bounded.map(load);
  const generated = render(full, bounded);
  const current = existsSync(args.out) ? readFileSync(args.out, 'utf8') : SKELETON;
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  if (start === -1 || end === -1 || end < start) throw new Error(`${args.out} has no ${START} … ${END} block`);
  writeFileSync(args.out, current.slice(0, start) + generated + current.slice(end + END.length));
  console.log(`wrote ${path.relative(root, args.out)} from ${[args.full, ...args.bounded].filter(Boolean).join(', ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
