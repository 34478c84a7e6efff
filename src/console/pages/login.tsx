import { Page } from '../layout';

/** The sign-in form: the operator's token once, then an HttpOnly session cookie. */
export function LoginPage({ problem }: { problem?: string }) {
  return (
    <Page title="Sign in" banner={problem === undefined ? undefined : { kind: 'problem', text: problem }}>
      <section class="login">
        <h1>Operator sign-in</h1>
        <form method="post" action="/console/login">
          <label>
            Operator token
            <input type="password" name="token" autocomplete="current-password" required autofocus />
          </label>
          <button type="submit">Sign in</button>
        </form>
        <p class="muted">One of OPERATOR_TOKENS. The session lasts OPERATOR_SESSION_HOURS; signing out ends it at once.</p>
      </section>
    </Page>
  );
}
