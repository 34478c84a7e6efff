import type { TestProject } from 'vitest/node';
import { ephemeralExecutable, MISSING_BINARY_HINT, resolveTemporalTestServer } from '../../scripts/local-stack/binaries';

declare module 'vitest' {
  export interface ProvidedContext {
    timeSkippingExecutable: ReturnType<typeof ephemeralExecutable>;
  }
}

/** Resolves the time-skipping test server once; each test file starts its own (time is global to a server). */
export default function setup(project: TestProject) {
  const source = resolveTemporalTestServer();
  if (source.kind === 'sdk-download') console.warn(`[workflows] no local test server binary. ${MISSING_BINARY_HINT}`);
  project.provide('timeSkippingExecutable', ephemeralExecutable(source));
}
