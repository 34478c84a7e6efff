import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { except } from 'hono/combine';
import { html } from 'hono/html';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isDependencyOutage } from '../api/dependency-outage';
import { ApiError } from '../api/errors';
import type { OperatorAccess, OperatorEnv } from '../api/middleware/operator-access';
import { ownOriginForms } from '../api/middleware/own-origin-forms';
import type { Database } from '../db/client';
import { listDeliveriesOfPayment } from '../db/deliveries';
import { searchPayments } from '../db/payment-search';
import { findPaymentWithAudit } from '../db/payments';
import { operatorActionsOfPayment } from '../db/operator-actions';
import { listReviewItems } from '../db/reviews';
import type { Logger } from '../logger';
import { reconcileNow, redeliver, resolveReview, type ReviewActionDependencies } from '../operations/review-actions';
import { CONSOLE_CSP, Page, type Banner } from './layout';
import { LoginPage } from './pages/login';
import { PaymentPage } from './pages/payment';
import { PaymentSearchPage, searchLink } from './pages/payment-search';
import { ReviewQueuePage } from './pages/review-queue';
import { searchFiltersOf } from './search-form';

export interface ConsoleDependencies {
  db: Database;
  logger: Logger;
  operators: OperatorAccess;
  /** The same actions as the API's /operations routes, audited under the operator's name. */
  reviewActions: ReviewActionDependencies;
  /** Where an operator opens a payment's workflow: the Temporal Web UI's base URL and the service's namespace. */
  temporalUi: { url: string; namespace: string };
}

/** What each action's redirect says it did (post/redirect/get: the page after an action is a plain GET). */
const DONE: Record<string, Banner> = {
  delivered: { kind: 'notice', text: 'Redelivered: the service accepted it.' },
  redelivering: { kind: 'notice', text: 'Redelivery under way: the delivery shows its outcome once the service answers.' },
  'redelivery-failed': { kind: 'problem', text: "Redelivered, and refused again: the delivery's last answer says why." },
  reconciling: { kind: 'notice', text: 'Asked Midtrans for the status through the workflow; reload in a moment to see its answer.' },
  resolved: { kind: 'notice', text: 'Resolved, with your note in the audit trail.' },
};

const bannerOf = (c: Context): Banner | undefined => {
  const done = c.req.query('done') ?? '';
  return Object.hasOwn(DONE, done) ? DONE[done] : undefined;
};

/** An action's `back` field, if it is a console page: never a redirect to anywhere else (an open redirect). */
const CONSOLE_PAGE = /^\/console\/[A-Za-z0-9._~%/-]*(\?[A-Za-z0-9._~%=&+-]*)?$/;
const backTo = (back: unknown, fallback: string) => (typeof back === 'string' && CONSOLE_PAGE.test(back) && !back.includes('//') ? back : fallback);

const FORM_CONTENT = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

/** An operator's note on a resolution: free text, bounded. */
const MAX_NOTE_LENGTH = 1000;

/**
 * The operator console under /console: server-rendered pages (Hono JSX), plain HTML forms, no script. Signing in
 * exchanges an operator token (OPERATOR_TOKENS) for the HttpOnly session cookie of src/api/middleware/operator-access.ts.
 *
 * Cross-site request forgery: the forms carry no token of their own. The session cookie is SameSite=Strict, so a
 * browser never sends it with a request another site starts, form posts included. SameSite does not separate origins
 * of one site (another port or subdomain of ours, such as the Temporal Web UI's), so every POST must also come from
 * this very origin: Sec-Fetch-Site: same-origin, or (a browser without Fetch Metadata) an Origin naming this host.
 * The sign-in form is held to the same rule, so no other page can sign a browser in under its own token.
 */
export function consoleRoutes(deps: ConsoleDependencies) {
  const app = new Hono<OperatorEnv>();
  const page = async (c: Context, element: JSX.Element, status: ContentfulStatusCode = 200) =>
    c.html(html`<!doctype html>${element}`, status);

  app.use('*', async (c, next) => {
    c.header('Content-Security-Policy', CONSOLE_CSP);
    // Pages show personal data: no cache keeps them.
    c.header('Cache-Control', 'no-store');
    await next();
  });
  app.use('*', sameOriginPosts());

  app.get('/login', async (c) => ((await deps.operators.operatorOf(c)) ? c.redirect('/console/payments', 303) : page(c, <LoginPage />)));
  app.post('/login', async (c) => {
    const { token } = await c.req.parseBody();
    const operator = typeof token === 'string' ? deps.operators.operatorHolding(token) : undefined;
    if (operator === undefined) {
      deps.logger.warn('console sign-in refused');
      return page(c, <LoginPage problem="That is not an operator token." />, 401);
    }
    await deps.operators.signIn(c, token as string);
    deps.logger.info({ operator }, 'operator signed in to the console');
    return c.redirect('/console/payments', 303);
  });
  app.post('/logout', async (c) => {
    await deps.operators.signOut(c);
    return c.redirect('/console/login', 303);
  });

  app.use('*', except(['/console/login', '/console/logout'], signedIn(deps.operators)));

  app.get('/', (c) => c.redirect('/console/payments', 303));

  app.get('/payments', async (c) => {
    const search = searchFiltersOf(c.req.query());
    const { form } = search;
    const operator = c.get('operator');
    const refused = (text: string) =>
      page(c, <PaymentSearchPage operator={operator} form={form} payments={[]} paged={false} banner={{ kind: 'problem', text }} />, 400);
    if (!search.filters) return refused(search.problem);
    const { filters } = search;
    const found = await searchPayments(deps.db, filters).catch((error: unknown) => {
      if (error instanceof RangeError) return undefined; // a cursor this search did not give
      throw error;
    });
    if (!found) return refused('That page link is not one this search gave: start again from the first page.');
    return page(
      c,
      <PaymentSearchPage
        operator={operator}
        form={form}
        payments={found.payments}
        paged={filters.cursor !== undefined}
        nextPage={found.nextCursor === null ? undefined : searchLink(form, { cursor: found.nextCursor })}
      />,
    );
  });

  app.get('/payments/:paymentId', async (c) => {
    const paymentId = c.req.param('paymentId');
    const [payment, deliveries, operatorActions] = await Promise.all([
      findPaymentWithAudit(deps.db, paymentId),
      listDeliveriesOfPayment(deps.db, paymentId),
      operatorActionsOfPayment(deps.db, paymentId),
    ]);
    if (!payment) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${paymentId}`);
    const workflowUrl = `${deps.temporalUi.url.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(deps.temporalUi.namespace)}/workflows/${encodeURIComponent(`payment-${payment.id}`)}`;
    return page(c, <PaymentPage operator={c.get('operator')} payment={payment} deliveries={deliveries} operatorActions={operatorActions} workflowUrl={workflowUrl} banner={bannerOf(c)} />);
  });

  app.get('/reviews', async (c) => {
    const items = await listReviewItems(deps.db, deps.reviewActions.reviewQueue);
    return page(c, <ReviewQueuePage operator={c.get('operator')} items={items} banner={bannerOf(c)} />);
  });

  /** post/redirect/get: the action, then a 303 back to the page it was asked from, with what was done. */
  const afterAction = (c: Context, back: unknown, fallback: string, done: keyof typeof DONE) => {
    const target = backTo(back, fallback);
    return c.redirect(`${target}${target.includes('?') ? '&' : '?'}done=${done}`, 303);
  };

  app.post('/deliveries/:deliveryId/redeliver', async (c) => {
    const { back } = await c.req.parseBody();
    const outcome = await redeliver(deps.reviewActions, c.req.param('deliveryId'), { operator: c.get('operator') });
    return afterAction(c, back, '/console/reviews', outcome.status === 'failed' ? 'redelivery-failed' : outcome.status);
  });

  app.post('/payments/:paymentId/reconcile', async (c) => {
    const paymentId = c.req.param('paymentId');
    const { back } = await c.req.parseBody();
    await reconcileNow(deps.reviewActions, paymentId, { operator: c.get('operator') });
    return afterAction(c, back, `/console/payments/${encodeURIComponent(paymentId)}`, 'reconciling');
  });

  app.post('/reviews/:reviewItemId/resolve', async (c) => {
    const { back, note } = await c.req.parseBody();
    const text = typeof note === 'string' ? note.trim() : '';
    if (text.length === 0 || text.length > MAX_NOTE_LENGTH) {
      throw new ApiError('VALIDATION_FAILED', `a resolution needs a note of 1 to ${MAX_NOTE_LENGTH} characters`);
    }
    await resolveReview(deps.reviewActions, c.req.param('reviewItemId'), { operator: c.get('operator'), note: text });
    return afterAction(c, back, '/console/reviews', 'resolved');
  });

  // Errors are pages here, not the API's JSON envelope: an operator's browser shows them.
  app.onError(async (error, c) => {
    const operator = c.get('operator');
    let problem: ApiError;
    if (error instanceof ApiError) problem = error;
    else if (isDependencyOutage(error)) {
      deps.logger.warn({ err: error }, 'console: dependency unavailable');
      problem = new ApiError('SERVICE_UNAVAILABLE', 'a dependency is unavailable; try again shortly');
    } else {
      deps.logger.error({ err: error }, 'console: unhandled error');
      problem = new ApiError('INTERNAL_ERROR', 'internal error');
    }
    return page(
      c,
      <Page title="Refused" operator={operator} banner={{ kind: 'problem', text: `${problem.message} (${problem.code})` }}>
        <p>
          {operator === undefined ? <a href="/console/login">Sign in</a> : <a href="/console/payments">Back to the payments</a>}
        </p>
      </Page>,
      problem.status,
    );
  });
  return app;
}

/**
 * Every page but sign-in needs an operator. A page (GET) without one goes to the sign-in form; an action (POST)
 * without one is refused outright, so nothing is done for a request that proves no operator.
 */
function signedIn(operators: OperatorAccess): MiddlewareHandler<OperatorEnv> {
  return async (c, next) => {
    const operator = await operators.operatorOf(c);
    if (operator === undefined) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return c.redirect('/console/login', 303);
      throw new ApiError('UNAUTHORIZED', 'sign in first: this action needs an operator');
    }
    c.set('operator', operator);
    await next();
  };
}

/**
 * Forms only (anything else, such as JSON, which needs no body to redeliver, is refused before the check), and only
 * from the console's own pages.
 */
function sameOriginPosts(): MiddlewareHandler {
  const ownOrigin = ownOriginForms('the console takes forms only from its own pages');
  return async (c, next) => {
    if (c.req.method === 'POST' && !FORM_CONTENT.test(c.req.header('content-type') ?? '')) {
      throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'the console takes HTML forms only');
    }
    await ownOrigin(c, next);
  };
}
