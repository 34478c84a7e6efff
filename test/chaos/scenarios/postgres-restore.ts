import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PaymentView } from '../../../src/domain';
import { paymentQuery } from '../../../workflows/messages';
import { SIZES } from '../support/config';
import { createCharged, histogramText, statusHistogram, type ChaosContext } from '../support/context';
import { eventually, pool, sleep } from '../../support/fixtures';
import { chargeCheck, eventRows, paymentRows, waitForStatuses, type HttpAnswer } from '../support/helpers';
import { scenario } from '../support/results';
import type { ChaosStack } from '../support/stack';

const PAID = 300_000;
const FIRST_REFUND = 30_000;
const SECOND_REFUND = 20_000;

interface Convergence {
  /** The row says what the workflow says: status, amounts, refunds. */
  state: string[];
  /** ... and the audit log holds every entry of the workflow's history. */
  audit: string[];
  /** Payments whose workflow has an activity on its third attempt or later: `<id>: <activity> #<attempt>: <last failure>`. */
  stuck: string[];
}

/** Compares each payment's read model with its workflow (Temporal's own record). */
async function convergence(stack: ChaosStack, ids: readonly string[]): Promise<Convergence> {
  const [rows, events] = await Promise.all([paymentRows(stack, ids), eventRows(stack, ids)]);
  const { rows: refunds } = await stack.db.query<{ payment_id: string; n: number }>(
    'select payment_id, count(*)::int as n from refunds where payment_id = any($1) group by payment_id',
    [ids],
  );
  const refundsOf = new Map(refunds.map((r) => [r.payment_id, r.n]));
  const described = await pool(ids, 8, async (id) => {
    const handle = stack.temporal.workflow.getHandle(`payment-${id}`);
    const [view, description] = await Promise.all([handle.query(paymentQuery), handle.describe()]);
    return { id, view: view as PaymentView, pending: description.raw.pendingActivities ?? [] };
  });
  const result: Convergence = { state: [], audit: [], stuck: [] };
  for (const { id, view, pending } of described) {
    const row = rows.get(id);
    const stateMatches =
      row !== undefined &&
      row.status === view.status &&
      row.refunded_amount === view.refundedAmount &&
      (refundsOf.get(id) ?? 0) === view.refunds.length;
    if (stateMatches) result.state.push(id);
    if (stateMatches && (events.get(id) ?? []).length === view.history.length) result.audit.push(id);
    for (const activity of pending.filter((a) => (a.attempt ?? 1) >= 3)) {
      result.stuck.push(`${id}: ${activity.activityType?.name} #${activity.attempt}: ${activity.lastFailure?.message ?? 'no failure recorded'}`);
    }
  }
  return result;
}

/**
 * 3b. PostgreSQL restored from an older backup while payments are in flight (a bad migration rolled back, a disk
 * lost): everything written after the backup is gone from the read model, while Temporal still holds the truth.
 *  - A: GoPay payments paid before the backup; after it, half of them (A1) are partially refunded.
 *  - B: created before the backup, still pending; paid at Midtrans while the restore runs.
 *  - C: created after the backup (their rows are lost entirely); half (C1) paid before the restore.
 * After the restore every A payment is refunded once more: its next transition. Counted: activities stuck
 * retrying (must be 0), payments whose read model agrees with the workflow after their next transition and after
 * `npm run read-model:rebuild` (all), and money moved twice (0).
 */
export function postgresRestoreScenario(get: () => ChaosContext) {
  describe('3b. PostgreSQL restored from an older backup', () => {
    it('no activity stays stuck; every read model converges after its next transition or read-model:rebuild; no money moves twice', async () => {
      const { stack, api, sim } = get();
      const rec = scenario('postgres-restore', 'PostgreSQL restored from an older backup while payments are in flight');
      const n = SIZES.paymentsPerScenario;
      const dir = mkdtempSync(path.join(os.tmpdir(), 'tiketq-backup-'));
      const backup = path.join(dir, 'tiketq.dump');
      try {
        const A = await createCharged(get(), Math.ceil(n / 2), { tag: 'restore-a', method: 'gopay', amount: PAID });
        const B = await createCharged(get(), Math.ceil(n / 4), { tag: 'restore-b', method: 'gopay', amount: PAID });
        for (const id of A) expect((await sim.act(id, 'pay')).status).toBe(200);
        await waitForStatuses(stack, new Map(A.map((id) => [id, 'success'])), 120_000);

        stack.backupDatabase(backup);
        const backedUpAt = Date.now();

        const A1 = A.slice(0, Math.ceil(A.length / 2));
        const firstRefunds = await pool(A1, 6, (id) => api('POST', `/payments/${id}/refund`, { amount: FIRST_REFUND, reason: 'after the backup' }, {}, 120_000));
        expect(firstRefunds.every((a) => a.status === 200), histogramText(statusHistogram(firstRefunds))).toBe(true);
        const C = await createCharged(get(), Math.max(2, Math.floor(n / 4)), { tag: 'restore-c', method: 'gopay', amount: PAID });
        const C1 = C.slice(0, Math.ceil(C.length / 2));
        for (const id of C1) expect((await sim.act(id, 'pay')).status).toBe(200);
        await waitForStatuses(stack, new Map([...A1.map((id) => [id, 'partially_refunded'] as const), ...C1.map((id) => [id, 'success'] as const)]), 120_000);

        // The restore, with B paid at Midtrans at the same moment: their notifications and writes are in flight.
        const paying = pool(B, 4, (id) => sim.act(id, 'pay'));
        const restoreStarted = Date.now();
        stack.restoreDatabase(backup);
        const restoreMs = Date.now() - restoreStarted;
        for (const answer of await paying) expect(answer.status).toBe(200);
        rec.figure('backup taken → restored', `${((restoreStarted - backedUpAt) / 1000).toFixed(1)} s of writes lost; pg_restore took ${restoreMs} ms`, 'suite');
        rec.figure('payments', `${A.length + B.length + C.length}: A ${A.length} paid before the backup (A1 ${A1.length} refunded after it), B ${B.length} paid during the restore, C ${C.length} created after the backup`, 'suite');
        const lostRows = C.length - (await paymentRows(stack, C)).size;
        rec.figure('C payments whose row the restore removed', `${lostRows} of ${C.length}`, 'database');

        // The next transition of every A payment: one more refund each.
        const secondRefunds: HttpAnswer[] = await pool(A, 6, (id) =>
          api('POST', `/payments/${id}/refund`, { amount: SECOND_REFUND, reason: 'after the restore' }, {}, 120_000),
        );
        rec.figure('refunds after the restore (A)', histogramText(statusHistogram(secondRefunds)), 'api');
        expect(secondRefunds.every((a) => a.status === 200)).toBe(true);
        const everyone = [...A, ...B, ...C];
        const afterTransition = await eventually(
          'A and B read models to agree with their workflows',
          () => convergence(stack, everyone),
          (c) => [...A, ...B].every((id) => c.state.includes(id)),
          120_000,
          1_000,
        );
        rec.figure(
          'read model = workflow after the next transition (A refunded, B paid)',
          `state ${afterTransition.state.filter((id) => !C.includes(id)).length} of ${A.length + B.length}; audit trail complete ${afterTransition.audit.filter((id) => !C.includes(id)).length}`,
          'database',
        );
        rec.figure(
          'C (no transition since the restore) agreeing before the rebuild',
          `${afterTransition.state.filter((id) => C.includes(id)).length} of ${C.length}`,
          'database',
        );

        const rebuild = stack.rebuildReadModel();
        rec.figure('npm run read-model:rebuild', `${rebuild.payments} open payments re-projected, ${rebuild.failed.length} failed`, 'suite');
        await sleep(1_000);
        const afterRebuild = await convergence(stack, everyone);
        rec.figure('read model = workflow after the rebuild (state / audit trail)', `${afterRebuild.state.length} / ${afterRebuild.audit.length} of ${everyone.length}`, 'database');
        rec.figure('activities stuck retrying (3rd attempt or later)', afterRebuild.stuck.length, 'temporal');
        for (const stuck of afterRebuild.stuck) rec.note(stuck);

        // Money: Midtrans's own records.
        const charges = await chargeCheck(sim, everyone);
        let refundedTwice = 0;
        let refundedAtMidtrans = 0;
        for (const id of A) {
          const refunds = (((await sim.transaction(id))?.transaction?.refunds ?? []) as { refund_amount: string; refund_key: string }[]);
          refundedAtMidtrans += refunds.reduce((sum, r) => sum + Number(r.refund_amount), 0);
          if (new Set(refunds.map((r) => r.refund_key)).size !== refunds.length) refundedTwice += 1;
        }
        const asked = A1.length * FIRST_REFUND + A.length * SECOND_REFUND;
        rec.figure('charges applied at Midtrans', `${charges.applied} for ${everyone.length} payments (${charges.doubleCharged.length} charged twice)`, 'simulator');
        rec.figure('IDR refunded at Midtrans / asked', `${refundedAtMidtrans} / ${asked}`, 'simulator');

        expect(rebuild.failed).toEqual([]);
        expect(afterRebuild.state.sort()).toEqual([...everyone].sort());
        expect(afterRebuild.audit.sort()).toEqual([...everyone].sort());
        expect(afterRebuild.stuck).toEqual([]);
        expect(charges.doubleCharged).toEqual([]);
        expect(charges.applied).toBe(everyone.length);
        expect(refundedTwice).toBe(0);
        expect(refundedAtMidtrans).toBe(asked);
        rec.pass();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
