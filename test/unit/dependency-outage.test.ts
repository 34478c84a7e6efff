import { describe, expect, it } from 'vitest';
import { isDependencyOutage } from '../../src/api/dependency-outage';

/**
 * What the API answers 503 (retry later) rather than 500. Shapes of errors seen from real dependencies.
 */
const grpcError = (code: number, message: string) => Object.assign(new Error(message), { code, details: message });

describe('a dependency outage, as the API sees it', () => {
  it("Temporal's own PostgreSQL down: the server answers NOT_FOUND 'Namespace default is not found.' (seen in chaos 2b)", () => {
    // Update-with-start rethrows the gRPC error itself, its message taken from the failed operation's status.
    expect(isDependencyOutage(grpcError(5, 'Namespace default is not found.'))).toBe(true);
  });

  it('Temporal unreachable (UNAVAILABLE) and a deadline (DEADLINE_EXCEEDED)', () => {
    expect(isDependencyOutage(grpcError(14, '14 UNAVAILABLE: No connection established'))).toBe(true);
    expect(isDependencyOutage(grpcError(4, '4 DEADLINE_EXCEEDED: Deadline exceeded'))).toBe(true);
  });

  it('a workflow that does not exist is not an outage (the API answers 404 for it)', () => {
    const notFound = Object.assign(new Error('workflow not found for ID: payment-pay-1'), { name: 'WorkflowNotFoundError' });
    expect(isDependencyOutage(notFound)).toBe(false);
    expect(isDependencyOutage(grpcError(5, 'workflow not found for ID: payment-pay-1'))).toBe(false);
  });

  it('a bug is not an outage', () => {
    expect(isDependencyOutage(new TypeError("Cannot read properties of undefined (reading 'status')"))).toBe(false);
  });
});
