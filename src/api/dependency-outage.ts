/** Driver errors that mean "PostgreSQL is not there right now", as opposed to a bad query or bad data. */
const DATABASE_OUTAGE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
]);
// SQLSTATE classes 08 (connection exception), 57P (shutdown, cannot connect now), 53 (insufficient resources).
const DATABASE_OUTAGE_SQLSTATE = /^(08|57P|53)/;

/**
 * A Temporal server that cannot read its own database answers NOT_FOUND for the namespace (its registry is empty); a
 * namespace that really is missing is a configuration error, and /ready's namespace check says so.
 */
export const isTemporalNamespaceLost = (message: string) => /^Namespace \S+ is not found/.test(message);

/** Temporal or PostgreSQL unreachable: a 503 with a retry hint, not a crash and not a 500. */
export function isDependencyOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { name, message } = error;
  const isDriverOutage = (cause: { kind?: string; code?: string } | undefined) =>
    DATABASE_OUTAGE_KINDS.has(cause?.kind ?? '') || (cause?.kind === 'postgres' && DATABASE_OUTAGE_SQLSTATE.test(cause.code ?? ''));
  if (name === 'DriverAdapterError') return isDriverOutage(error.cause as { kind?: string; code?: string } | undefined);
  // Prisma wraps the driver's error: PrismaClientKnownRequestError P1001 "Can't reach database server" with
  // meta.driverAdapterError.cause = { kind: 'DatabaseNotReachable' } (seen in the chaos suite with PostgreSQL stopped).
  const driverError = (error as { meta?: { driverAdapterError?: { cause?: { kind?: string; code?: string } } } }).meta?.driverAdapterError;
  if (driverError) return isDriverOutage(driverError.cause);
  const code = (error as { code?: unknown }).code;
  return (
    name === 'ServiceError' ||
    name === 'NamespaceNotFoundError' ||
    (code === 5 /* gRPC NOT_FOUND */ && isTemporalNamespaceLost(message)) ||
    name === 'PrismaClientInitializationError' ||
    code === 14 /* gRPC UNAVAILABLE */ ||
    code === 4 /* gRPC DEADLINE_EXCEEDED */ ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|timeout exceeded when trying to connect|the database system is/i.test(message)
  );
}
