import type { OperatorAction, Prisma } from '../generated/prisma/client';
import type { Database } from './client';

export type OperatorActionKind = 'redeliver' | 'reconcile' | 'resolve';

export interface NewOperatorAction {
  operator: string;
  action: OperatorActionKind;
  target: string;
  paymentId?: string;
  note?: string;
  /** The same key is the same action: recorded once. */
  actionKey: string;
  detail?: Prisma.InputJsonValue;
}

/** Records the action once; a second call with its key gets the first row back and `recorded: false`. */
export async function recordOperatorAction(db: Database, action: NewOperatorAction): Promise<{ row: OperatorAction; recorded: boolean }> {
  const inserted = await db.operatorAction.createManyAndReturn({ data: [{ ...action, at: new Date() }], skipDuplicates: true });
  if (inserted[0]) return { row: inserted[0], recorded: true };
  return { row: await db.operatorAction.findUniqueOrThrow({ where: { actionKey: action.actionKey } }), recorded: false };
}

export function findOperatorAction(db: Database, actionKey: string) {
  return db.operatorAction.findUnique({ where: { actionKey } });
}

export function latestOperatorAction(db: Database, action: OperatorActionKind, target: string) {
  return db.operatorAction.findFirst({ where: { action, target }, orderBy: [{ at: 'desc' }, { id: 'desc' }] });
}

/** What operators did to one payment, oldest first (the console's payment page). */
export function operatorActionsOfPayment(db: Database, paymentId: string) {
  return db.operatorAction.findMany({ where: { paymentId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
}
