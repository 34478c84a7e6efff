import type { Child } from 'hono/jsx';

/**
 * A button that POSTs one operator action and comes back to `back` (post/redirect/get). No token field: the session
 * cookie is SameSite=Strict and every console POST must come from the console's own origin (src/console/app.tsx).
 */
export function ActionForm(props: { action: string; back: string; label: string; title?: string; children?: Child }) {
  return (
    <form class="inline" method="post" action={props.action}>
      <input type="hidden" name="back" value={props.back} />
      {props.children}
      <button type="submit" title={props.title}>
        {props.label}
      </button>
    </form>
  );
}
