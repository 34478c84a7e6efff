import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createApiMetrics } from '../../src/api/metrics';
import { reconciliationDriftTotal } from '../../src/temporal/worker-metrics';

/**
 * The alert rules and the Grafana dashboard are files operators load as they are: promtool (built from the Prometheus
 * Go module by scripts/install-promtool.sh) checks the rules and runs their unit tests, and every metric either file
 * names must be one the service really exports: the API's registry rendered here, and the Temporal SDK worker's as
 * recorded from a live scrape (ops/metrics/temporal-sdk-worker.prom).
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const PROMTOOL = path.join(ROOT, '.tools/promtool/bin/promtool');
const ALERTS = path.join(ROOT, 'ops/prometheus/alerts.yml');
const ALERT_TESTS = path.join(ROOT, 'ops/prometheus/alerts.test.yml');

/**
 * Metrics being added by other work of issue 17 when these files were written: the API's review-queue gauge and the
 * daily reconciliation's drift counter.
 */

interface Rule {
  alert: string;
  expr: string;
}
interface AlertTest {
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

const rules: Rule[] = (parse(readFileSync(ALERTS, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alertTests: AlertTest[] = (parse(readFileSync(ALERT_TESTS, 'utf8')) as { tests: AlertTest[] }).tests;
const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'ops/grafana/payments.json'), 'utf8'));
const panels: Panel[] = dashboard.panels;
const queries = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, ...target })));

function promtool(...args: string[]) {
  if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: run npm run tools:install`);
  const run = spawnSync(PROMTOOL, args, { encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Series names a scrape can hold, from the `# TYPE` lines of an exposition: a histogram is its _bucket, _sum, _count. */
function seriesNames(exposition: string): string[] {
  return [...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]): string[] => {
    if (type === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
    if (type === 'summary') return [name!, `${name}_sum`, `${name}_count`];
    return [name!];
  });
}

async function exportedMetrics(): Promise<Set<string>> {
  // The API's registry holds Node's default metrics too, the same set the worker serves beside its health check.
  const api = await createApiMetrics().render({ pending: 1 }, { failed_delivery: 1 });
  const sdk = readFileSync(path.join(ROOT, 'ops/metrics/temporal-sdk-worker.prom'), 'utf8');
  // The worker's own counters are served beside the SDK's (serveWorkerHealth).
  const ours = new Registry();
  ours.registerMetric(reconciliationDriftTotal);
  return new Set([...seriesNames(api), ...seriesNames(sdk), ...seriesNames(await ours.metrics())]);
}

/** The metric names a PromQL expression selects (PromQL's own grammar, as the Prometheus UI parses it). */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  const cursor = parser.parse(expr).cursor();
  do {
    if (cursor.name === '⚠') throw new Error(`not PromQL: ${expr}`);
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') names.push(expr.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return names;
}

/** Grafana replaces its interval variables before a query reaches Prometheus. */
const asPrometheusSees = (expr: string) => expr.replaceAll('$__rate_interval', '5m');

describe('alert rules (ops/prometheus/alerts.yml)', () => {
  it('are a valid Prometheus rule file', () => {
    const check = promtool('check', 'rules', ALERTS);
    expect(check.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.status).toBe(0);
  });

  it('cover what operators asked for', () => {
    const uses = (metric: string) => rules.some((rule) => metricNames(rule.expr).some((name) => name.startsWith(metric)));
    for (const metric of [
      'payments_review_queue_items',
      'temporal_activity_execution_failed',
      'temporal_local_activity_execution_failed',
      'payments_reconciliation_drift_total',
      'midtrans_webhooks_total',
      'temporal_worker_task_slots_available',
      'temporal_workflow_task_schedule_to_start_latency',
      'temporal_activity_schedule_to_start_latency',
    ]) {
      expect(uses(metric), metric).toBe(true);
    }
  });

  it('each fire in their unit tests (alerts.test.yml), and stay quiet where they should', () => {
    for (const { alert } of rules) {
      const cases = alertTests.flatMap((t) => t.alert_rule_test).filter((c) => c.alertname === alert);
      expect(cases.some((c) => c.exp_alerts.length > 0), `${alert} fires in a test`).toBe(true);
      expect(cases.some((c) => c.exp_alerts.length === 0), `${alert} stays quiet in a test`).toBe(true);
    }
    const run = promtool('test', 'rules', ALERT_TESTS);
    expect(run.output).toContain('SUCCESS');
    expect(run.status, run.output).toBe(0);
    // promtool evaluates hours of series minute by minute: about 5 s on an idle 2-core machine, more beside other work.
  }, 60_000);

  it('select only metrics the service exports', async () => {
    const exported = await exportedMetrics();
    for (const { alert, expr } of rules) {
      const names = metricNames(expr);
      expect(names.length, alert).toBeGreaterThan(0);
      expect(names.filter((name) => !exported.has(name)), alert).toEqual([]);
    }
  });
});

describe('Grafana dashboard (ops/grafana/payments.json)', () => {
  it('has what Grafana needs to import it', () => {
    expect(dashboard).toMatchObject({ uid: expect.stringMatching(/^[\w-]{1,40}$/), title: expect.any(String), schemaVersion: expect.any(Number) });
    expect(dashboard.id ?? null).toBeNull(); // an id would overwrite another dashboard on import
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const panel of panels) {
      const { x, y, w, h } = panel.gridPos;
      expect([x, y, w, h].every(Number.isInteger) && x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24, panel.title).toBe(true);
      if (panel.type === 'row') continue;
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      const refIds = panel.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
  });

  it('queries only metrics the service exports', async () => {
    const exported = await exportedMetrics();
    for (const { panel, refId, expr } of queries) {
      const names = metricNames(asPrometheusSees(expr));
      expect(names.length, `${panel.title} ${refId}`).toBeGreaterThan(0);
      expect(names.filter((name) => !exported.has(name)), `${panel.title} ${refId}`).toEqual([]);
    }
  });

  it('shows the steps the worker runs itself (local activities) wherever it shows activities', () => {
    // Since issue 16 the charge, the status look-ups, the writes and the first delivery attempts run as local
    // activities, which the SDK counts under temporal_local_activity_*, not temporal_activity_*.
    const pairs = [
      ['temporal_activity_execution_latency_bucket', 'temporal_local_activity_execution_latency_bucket'],
      ['temporal_activity_execution_failed', 'temporal_local_activity_execution_failed'],
    ];
    const watching = (metric: string) => panels.filter((p) => (p.targets ?? []).some((t) => metricNames(asPrometheusSees(t.expr)).includes(metric)));
    for (const [activity, local] of pairs) {
      expect(watching(activity!).length, activity).toBeGreaterThan(0);
      for (const panel of watching(activity!)) expect(watching(local!).map((p) => p.id), `${panel.title} shows ${local}`).toContain(panel.id);
    }
  });

  it('shows every metric an alert watches', () => {
    const shown = new Set(queries.flatMap(({ expr }) => metricNames(asPrometheusSees(expr))));
    for (const { alert, expr } of rules) expect(metricNames(expr).filter((name) => !shown.has(name)), alert).toEqual([]);
  });

  it('queries are valid PromQL: promtool checks them as recording rules', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dashboard-queries-')), 'queries.yml');
    const recorded = queries.map(({ panel, refId, expr }) => ({ record: `dashboard:panel_${panel.id}_${refId}`, expr: asPrometheusSees(expr) }));
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: recorded }] }));
    const check = promtool('check', 'rules', file);
    expect(check.output).toContain(`SUCCESS: ${recorded.length} rules found`);
    expect(check.status).toBe(0);
  });
});
