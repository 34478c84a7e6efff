import path from 'node:path';
import { PROJECT_ROOT } from './binaries';

/** The production artifact `npm run build` writes and the image runs: dist/<name>.js for each process. */
export const DIST = path.join(PROJECT_ROOT, 'dist');
export const ENTRY_POINTS = {
  server: 'src/server.ts',
  worker: 'src/worker.ts',
  simulator: 'simulator/main.ts',
  'temporal-namespace': 'scripts/temporal-namespace.ts',
} as const;
export const WORKFLOW_BUNDLE_FILE = path.join(DIST, 'workflow-bundle.js');
