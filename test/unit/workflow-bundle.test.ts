import { describe, expect, it } from 'vitest';
import { bundlePaymentWorkflows, prebuiltBundlePath } from '../../src/temporal/worker';

/**
 * The workflow tracing interceptors run inside every workflow the worker holds: in an untraced worker they cost
 * a third of its throughput and most of its memory per open payment (docs/tuning.md change 11), for spans nobody
 * exports. Only a traced worker's bundle carries them.
 */
const TRACING_INTERCEPTORS = '@temporalio/interceptors-opentelemetry/lib/workflow';

describe('the workflow bundle', () => {
  it('carries the tracing interceptors only when the worker traces', async () => {
    const [untraced, traced] = await Promise.all([bundlePaymentWorkflows({ traced: false }), bundlePaymentWorkflows({ traced: true })]);
    // Booleans, not the strings: a failure would print megabytes of bundle.
    expect(traced.code.includes(TRACING_INTERCEPTORS), 'traced bundle has the interceptors').toBe(true);
    expect(untraced.code.includes(TRACING_INTERCEPTORS), 'untraced bundle has the interceptors').toBe(false);
    // Evaluated once per worker and shared by every workflow it holds, not once per workflow (docs/tuning.md change 15).
    for (const bundle of [untraced, traced]) expect(preloaded(bundle.code)).toContain('"./workflows/index.ts"');
  }, 120_000);

  it('turns the per-promise stack traces off unless the worker asks for them (docs/tuning.md change 22)', async () => {
    const [untraced, traced, withStackTraces] = await Promise.all([
      bundlePaymentWorkflows({ traced: false }),
      bundlePaymentWorkflows({ traced: true }),
      bundlePaymentWorkflows({ traced: false, stackTraces: true }),
    ]);
    // Preloaded: evaluated before the SDK freezes the sandbox's `Error`, which it could not change afterwards.
    for (const bundle of [untraced, traced]) expect(preloaded(bundle.code)).toContain('"./src/temporal/workflow-stack-traces.ts"');
    expect(preloaded(withStackTraces.code)).not.toContain('workflow-stack-traces');
    expect(preloaded(withStackTraces.code)).toContain('"./workflows/index.ts"');
  }, 120_000);
});

/** What the bundle's preload hook requires: the SDK runs it once, when the worker makes its V8 context. */
function preloaded(code: string): string {
  return /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? 'no preload hook';
}

describe('the prebuilt bundles (npm run build writes all four beside WORKFLOW_BUNDLE_PATH)', () => {
  it('a worker picks the one for its tracing and WORKFLOW_STACK_TRACES', () => {
    const base = '/app/dist/workflow-bundle.js';
    expect(prebuiltBundlePath(base, { traced: false })).toBe(base);
    expect(prebuiltBundlePath(base, { traced: true })).toBe('/app/dist/workflow-bundle-traced.js');
    expect(prebuiltBundlePath(base, { traced: false, stackTraces: true })).toBe('/app/dist/workflow-bundle-stack-traces.js');
    expect(prebuiltBundlePath(base, { traced: true, stackTraces: true })).toBe('/app/dist/workflow-bundle-traced-stack-traces.js');
    expect(prebuiltBundlePath('/app/dist/bundle', { traced: true })).toBe('/app/dist/bundle-traced.js');
  });
});
