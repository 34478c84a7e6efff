/**
 * The part of the official `midtrans-client` (CommonJS, no bundled types) the contract test drives. Shapes read from
 * its lib/ sources (v1.4.3): every call resolves with the parsed JSON body or rejects with a MidtransError.
 */
declare module 'midtrans-client' {
  type Body = Record<string, unknown>;
  // Midtrans bodies are read field by field in the tests.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Answer = Promise<any>;

  interface ClientOptions {
    isProduction?: boolean;
    serverKey?: string;
    clientKey?: string;
  }

  class ApiConfig {
    isProduction: boolean;
    serverKey: string;
    clientKey: string;
    getCoreApiBaseUrl(): string;
    getSnapApiBaseUrl(): string;
  }

  class Transaction {
    status(id: string): Answer;
    statusb2b(id: string): Answer;
    approve(id: string): Answer;
    deny(id: string): Answer;
    cancel(id: string): Answer;
    expire(id: string): Answer;
    refund(id: string, parameter?: Body): Answer;
    refundDirect(id: string, parameter?: Body): Answer;
    notification(notification: Body | string): Answer;
  }

  class CoreApi {
    constructor(options?: ClientOptions);
    apiConfig: ApiConfig;
    transaction: Transaction;
    charge(parameter?: Body): Answer;
    capture(parameter?: Body): Answer;
    cardToken(parameter?: Body): Answer;
  }

  class Snap {
    constructor(options?: ClientOptions);
    apiConfig: ApiConfig;
    transaction: Transaction;
    createTransaction(parameter?: Body): Answer;
    createTransactionToken(parameter?: Body): Promise<string>;
    createTransactionRedirectUrl(parameter?: Body): Promise<string>;
  }

  class MidtransError extends Error {
    httpStatusCode: number | string | null;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ApiResponse: any;
  }

  const midtransClient: { CoreApi: typeof CoreApi; Snap: typeof Snap; MidtransError: typeof MidtransError };
  export default midtransClient;
  export type { CoreApi, Snap, MidtransError };
}
