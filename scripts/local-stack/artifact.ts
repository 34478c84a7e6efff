import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './binaries';
import { ServiceProcess, tsxService, type ServiceProcessOptions } from './processes';

/** The production artifact `npm run build` writes and the image runs: dist/<name>.js for each process. */
export const DIST = path.join(PROJECT_ROOT, 'dist');
export const ENTRY_POINTS = {
  server: 'src/server.ts',
  worker: 'src/worker.ts',
  simulator: 'simulator/main.ts',
  'codec-server': 'src/codec-server/main.ts',
  'temporal-namespace': 'scripts/temporal-namespace.ts',
} as const;
export const WORKFLOW_BUNDLE_FILE = path.join(DIST, 'workflow-bundle.js');

/** STACK_FROM_DIST=1: stacks run the built artifact with node, as the image does; otherwise the sources with tsx. */
export const RUN_FROM_DIST = process.env.STACK_FROM_DIST === '1';

/** One of the service's processes, from dist/ or from the sources (see RUN_FROM_DIST). */
export function serviceProcess(name: string, entry: keyof typeof ENTRY_POINTS, options: ServiceProcessOptions): ServiceProcess {
  if (!RUN_FROM_DIST) return tsxService(name, ENTRY_POINTS[entry], options);
  if (!existsSync(WORKFLOW_BUNDLE_FILE)) throw new Error('STACK_FROM_DIST=1 needs dist/: run `npm run build` first');
  const env = options.env ?? process.env;
  return new ServiceProcess(name, process.execPath, [path.join(DIST, `${entry}.js`)], {
    ...options,
    env: { ...env, NODE_ENV: env.NODE_ENV ?? 'development', WORKFLOW_BUNDLE_PATH: WORKFLOW_BUNDLE_FILE },
  });
}
