/**
 * Evaluated inside the workflow sandbox, once per worker, before the SDK freezes the sandbox's globals (the bundle
 * preloads it: src/temporal/worker.ts). The SDK records a source-mapped stack trace for every promise a workflow
 * creates, for the Web UI's Stack Trace tab; that took about a third of the workflow thread's CPU (docs/tuning.md
 * change 22). With no frames to capture it records empty traces, and errors thrown in workflow code carry their
 * message only. A worker started with WORKFLOW_STACK_TRACES=true runs a bundle without this module, to debug with both.
 */
Error.stackTraceLimit = 0;

export {};
