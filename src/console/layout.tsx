import { createHash } from 'node:crypto';
import type { Child } from 'hono/jsx';

/**
 * The console's whole look: one constant style sheet, inline (no CDN, no build step). It is allowed by its hash in the
 * Content-Security-Policy, so no other style and no script at all can run on a console page.
 */
const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f5f6f8}
header{display:flex;align-items:center;gap:24px;padding:10px 24px;background:#1f3a5f;color:#fff}
header a{color:#fff;text-decoration:none;padding:4px 8px;border-radius:4px}
header a:hover,header a[aria-current=page]{background:#2f5688}
header .who{margin-left:auto;display:flex;gap:12px;align-items:center}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 16px}
h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d9dde3}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e6e9ee;vertical-align:top}
th{background:#eef1f5;font-weight:600;font-size:13px}
td.amount,th.amount{text-align:right;font-variant-numeric:tabular-nums}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:#fff;border:1px solid #d9dde3;padding:12px 16px;margin:0}
dt{color:#5b6472}
dd{margin:0}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f5;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
td:first-child{white-space:nowrap}
form.filters{display:flex;flex-wrap:wrap;gap:10px 16px;align-items:end;background:#fff;border:1px solid #d9dde3;padding:12px 16px;margin-bottom:16px}
label{display:flex;flex-direction:column;font-size:12px;color:#5b6472;gap:2px}
input,select,textarea{font:inherit;padding:4px 6px;border:1px solid #b8bfca;border-radius:4px;background:#fff;color:#1d2430}
button{font:inherit;padding:5px 12px;border:1px solid #1f3a5f;border-radius:4px;background:#1f3a5f;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1f3a5f}
form.inline{display:inline-flex;gap:6px;align-items:center}
.actions{display:flex;gap:16px;align-items:center;margin:0 0 16px}
.status{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#e6e9ee}
.status-success,.status-delivered{background:#d9f2e3;color:#14532d}
.status-failed,.status-expired,.status-canceled{background:#fde2e1;color:#7f1d1d}
.status-pending,.status-processing,.status-retrying{background:#fdf1d6;color:#713f12}
.status-refunded,.status-partially_refunded{background:#e3e8fd;color:#1e3a8a}
.notice{padding:8px 12px;border-radius:4px;margin-bottom:12px;background:#d9f2e3;border:1px solid #9bd3b0}
.problem{padding:8px 12px;border-radius:4px;margin-bottom:12px;background:#fde2e1;border:1px solid #f2a7a3}
.muted{color:#5b6472}
.pager{margin-top:12px}
.login{max-width:360px;margin:64px auto;background:#fff;border:1px solid #d9dde3;padding:24px}
.login form{display:flex;flex-direction:column;gap:12px}
`;

/** The Content-Security-Policy of every console page: its own style sheet, forms to itself, nothing else. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export type ConsoleSection = 'payments' | 'reviews';

export interface Banner {
  kind: 'notice' | 'problem';
  text: string;
}

export function Page(props: { title: string; operator?: string; section?: ConsoleSection; banner?: Banner; children?: Child }) {
  const { title, operator, section, banner } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · TiketQ operator console`}</title>
        {/* A constant of this module, never data: written raw so the CSS is not HTML-escaped (a style element is raw text). */}
        <style dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <header>
          <strong>TiketQ payments · operator console</strong>
          {operator !== undefined && (
            <nav>
              <a href="/console/payments" aria-current={section === 'payments' ? 'page' : undefined}>
                Payments
              </a>
              <a href="/console/reviews" aria-current={section === 'reviews' ? 'page' : undefined}>
                Review queue
              </a>
            </nav>
          )}
          {operator !== undefined && (
            <form class="who inline" method="post" action="/console/logout">
              <span>
                Signed in as <strong>{operator}</strong>
              </span>
              <button type="submit" class="secondary">
                Sign out
              </button>
            </form>
          )}
        </header>
        <main>
          {banner && (
            <p class={banner.kind} role={banner.kind === 'problem' ? 'alert' : 'status'}>
              {banner.text}
            </p>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`status status-${status}`}>{status}</span>;
}

export interface Column<Row> {
  head: string;
  /** Right-aligned, in tabular figures. */
  amount?: boolean;
  cell(row: Row): Child;
}

/** One table of the console: a head, a row per item, or `empty` when there is none. */
export function Table<Row>(props: { columns: readonly Column<Row>[]; rows: readonly Row[]; empty: string; rowId?: (row: Row) => string }) {
  const { columns, rows } = props;
  if (rows.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <table>
      <thead>
        <tr>
          {columns.map((column) => (
            <th class={column.amount ? 'amount' : undefined}>{column.head}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr data-row={props.rowId?.(row)}>
            {columns.map((column) => (
              <td class={column.amount ? 'amount' : undefined}>{column.cell(row)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
