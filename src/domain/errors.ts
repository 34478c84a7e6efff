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
