/** Prometheus text exposition without a dependency: counters and one latency histogram, labelled by route. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = Record<string, string>;
const labelKey = (labels: Labels) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

export function createApiMetrics() {
  const requests = new Map<string, number>();
  const latency = new Map<string, { buckets: number[]; sum: number; count: number }>();
  const webhooks = new Map<string, number>();
  let unrecordedRefusals = 0;

  return {
    observeRequest(method: string, route: string, status: number, seconds: number) {
      const key = labelKey({ method, route, status: String(status) });
      requests.set(key, (requests.get(key) ?? 0) + 1);
      const lkey = labelKey({ method, route });
      const entry = latency.get(lkey) ?? { buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      LATENCY_BUCKETS.forEach((le, i) => {
        if (seconds <= le) entry.buckets[i]! += 1;
      });
      entry.sum += seconds;
      entry.count += 1;
      latency.set(lkey, entry);
    },
    countWebhook(outcome: string) {
      webhooks.set(outcome, (webhooks.get(outcome) ?? 0) + 1);
    },
    /** A refused notification answered without its record (the unverified budget was full, or the insert failed). */
    countUnrecordedRefusal() {
      unrecordedRefusals += 1;
    },
    render(paymentsByStatus: Record<string, number>): string {
      const lines: string[] = [
        '# HELP http_requests_total HTTP requests by method, route and status.',
        '# TYPE http_requests_total counter',
        ...[...requests].map(([k, v]) => `http_requests_total{${k}} ${v}`),
        '# HELP http_request_duration_seconds HTTP request latency by method and route.',
        '# TYPE http_request_duration_seconds histogram',
      ];
      for (const [k, e] of latency) {
        LATENCY_BUCKETS.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{${k},le="${le}"} ${e.buckets[i]}`));
        lines.push(`http_request_duration_seconds_bucket{${k},le="+Inf"} ${e.count}`);
        lines.push(`http_request_duration_seconds_sum{${k}} ${e.sum}`, `http_request_duration_seconds_count{${k}} ${e.count}`);
      }
      lines.push('# HELP midtrans_webhooks_total Midtrans notifications received, by outcome.', '# TYPE midtrans_webhooks_total counter');
      for (const [outcome, v] of webhooks) lines.push(`midtrans_webhooks_total{outcome="${outcome}"} ${v}`);
      lines.push(
        '# HELP midtrans_webhook_refusals_unrecorded_total Refused notifications (bad signature, malformed) answered without a record.',
        '# TYPE midtrans_webhook_refusals_unrecorded_total counter',
        `midtrans_webhook_refusals_unrecorded_total ${unrecordedRefusals}`,
      );
      lines.push('# HELP payments Payments in the read model, by status.', '# TYPE payments gauge');
      for (const [status, v] of Object.entries(paymentsByStatus)) lines.push(`payments{status="${status}"} ${v}`);
      return `${lines.join('\n')}\n`;
    },
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
