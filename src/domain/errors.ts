/** Every rule the domain can refuse, as a code the API maps to HTTP in one place. */
export type DomainErrorCode =
  | 'INVALID_TRANSITION'
  | 'INVALID_STATE'
  | 'REFUND_EXCEEDS_REMAINING'
  | 'NOT_REFUNDABLE'
  | 'PARTIAL_REFUND_NOT_SUPPORTED'
  | 'INVALID_AMOUNT'
  | 'AMOUNT_MISMATCH'
  | 'VALIDATION_FAILED';

/**
 * The refund step's failure when another run of the payment's workflow (restarted, or reset) carried out the refund
 * update it was given: that run's claim (src/db/refund-claims.ts) outlives the workflow's memory.
 */
export const REFUND_UPDATE_CLAIMED = 'REFUND_UPDATE_CLAIMED';

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
