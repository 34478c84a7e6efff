import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NO_STACK_TRACES_MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'workflow-stack-traces.ts');

/**
 * Modules a workflow bundle preloads, evaluated in the sandbox before the SDK freezes its globals: without
 * `stackTraces`, the one that turns the SDK's per-promise stack traces off (docs/tuning.md change 22). Shared by the
 * service's worker and the bench's baseline workers, so both run the workflow sandbox alike.
 */
export function sandboxPreloads({ stackTraces }: { stackTraces: boolean }): string[] {
  return stackTraces ? [] : [NO_STACK_TRACES_MODULE];
}
