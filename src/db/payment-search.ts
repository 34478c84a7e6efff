import type { PaymentMethod, PaymentStatus } from '../domain';
import type { Payment, Prisma } from '../generated/prisma/client';
import type { Database } from './client';

/** What an operator can look for; every filter narrows (they combine with AND), ranges include both ends. */
export interface PaymentSearchFilters {
  /** Any of these statuses. */
  status?: readonly PaymentStatus[];
  /** Any of these methods. */
  method?: readonly PaymentMethod[];
  orderId?: string;
  userId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  updatedFrom?: Date;
  updatedTo?: Date;
  /** Integer IDR. */
  amountMin?: number;
  amountMax?: number;
  /** 1–200; the API defaults it to 50. */
  limit: number;
  /** nextCursor of the page before; absent = the first page. */
  cursor?: string;
}

export interface PaymentSearchPage {
  /** Newest first (created_at desc, then payment id desc); render each with paymentResponseFromRow. */
  payments: Payment[];
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

export const MAX_SEARCH_LIMIT = 200;

/** The cursor is opaque to callers; inside, the last row's (created_at, payment id), the order's unique key. */
interface SearchPosition {
  createdAt: Date;
  paymentId: string;
}

export function encodeSearchCursor({ createdAt, paymentId }: SearchPosition): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), paymentId])).toString('base64url');
}

/** The position a cursor holds, or undefined when it is not one of ours (the API answers VALIDATION_FAILED). */
export function decodeSearchCursor(cursor: string): SearchPosition | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 2) return undefined;
    const [at, paymentId] = decoded as unknown[];
    if (typeof at !== 'string' || typeof paymentId !== 'string' || paymentId.length === 0 || paymentId.length > 100) return undefined;
    const createdAt = new Date(at);
    if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at) return undefined;
    return { createdAt, paymentId };
  } catch {
    return undefined;
  }
}

/**
 * One page of payments matching `filters`, by keyset: the page after the cursor's row in (created_at desc, id desc),
 * so a page costs the same however deep it is, and payments created while an operator pages never shift later pages.
 */
export async function searchPayments(db: Database, filters: PaymentSearchFilters): Promise<PaymentSearchPage> {
  const after = filters.cursor === undefined ? undefined : decodeSearchCursor(filters.cursor);
  if (filters.cursor !== undefined && after === undefined) throw new RangeError('the cursor is not one this search returned');
  const range = <T>(from: T | undefined, to: T | undefined) =>
    from === undefined && to === undefined ? undefined : { ...(from !== undefined && { gte: from }), ...(to !== undefined && { lte: to }) };
  const where: Prisma.PaymentWhereInput = {
    ...(filters.status?.length && { status: { in: [...filters.status] } }),
    ...(filters.method?.length && { paymentMethod: { in: [...filters.method] } }),
    ...(filters.orderId !== undefined && { orderId: filters.orderId }),
    ...(filters.userId !== undefined && { userId: filters.userId }),
    createdAt: range(filters.createdFrom, filters.createdTo),
    updatedAt: range(filters.updatedFrom, filters.updatedTo),
    amount: range(
      filters.amountMin === undefined ? undefined : BigInt(filters.amountMin),
      filters.amountMax === undefined ? undefined : BigInt(filters.amountMax),
    ),
    // After the cursor's row. The redundant `created_at <= cursor` is what an index can start from: the OR alone is
    // only a filter, and PostgreSQL would read every row before the cursor (80 ms at 150,000 deep, 0.1 ms with it).
    ...(after && {
      AND: [
        { createdAt: { lte: after.createdAt } },
        { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.paymentId } }] },
      ],
    }),
  };
  const limit = Math.min(Math.max(filters.limit, 1), MAX_SEARCH_LIMIT);
  // One row more than the page: whether it exists says whether there is a next page.
  const rows = await db.payment.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit + 1 });
  const payments = rows.slice(0, limit);
  const last = payments.at(-1);
  return {
    payments,
    nextCursor: rows.length > limit && last ? encodeSearchCursor({ createdAt: last.createdAt, paymentId: last.id }) : null,
  };
}
