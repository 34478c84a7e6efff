/**
 * `npm run build`: the production artifact in dist/, the same one the Dockerfile builds and `npm run stack` runs
 * with STACK_FROM_DIST=1. Each entry point becomes one ES module (our code bundled, node_modules left as imports,
 * so the image installs production dependencies only), and the workflow bundle is built once here, so a worker
 * starts without webpack (WORKFLOW_BUNDLE_PATH=dist/workflow-bundle.js).
 * esbuild, not tsc: the sources import without file extensions (bundler resolution), which Node's ESM loader refuses.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { DIST, ENTRY_POINTS, WORKFLOW_BUNDLE_FILE } from './local-stack/artifact';
import { PROJECT_ROOT } from './local-stack/binaries';
import { bundlePaymentWorkflows, prebuiltBundlePath } from '../src/temporal/worker';

const requireFromProject = createRequire(path.join(PROJECT_ROOT, 'package.json'));

/**
 * `@temporalio/common/lib/encoding` resolves under bundler rules, but Node's ESM loader needs the file name when a
 * package declares no `exports` map: such deep imports stay external, spelled as the file they resolve to.
 */
const fileSubpathsOfPackagesWithoutExports: Plugin = {
  name: 'file-subpaths-of-packages-without-exports',
  setup(builder) {
    builder.onResolve({ filter: /^@temporalio\/[^/]+\/lib\/.+/ }, (args) => {
      const [scope, name] = args.path.split('/');
      const file = requireFromProject.resolve(args.path);
      const packageDir = path.dirname(requireFromProject.resolve(`${scope}/${name}/package.json`));
      return { path: `${scope}/${name}/${path.relative(packageDir, file).split(path.sep).join('/')}`, external: true };
    });
  },
};

async function main() {
  const started = Date.now();
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, entry]) => [name, path.join(PROJECT_ROOT, entry)])),
    outdir: DIST,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [fileSubpathsOfPackagesWithoutExports],
  });
  for (const traced of [false, true]) {
    for (const stackTraces of [false, true]) {
      const { code } = await bundlePaymentWorkflows({ traced, stackTraces });
      writeFileSync(prebuiltBundlePath(WORKFLOW_BUNDLE_FILE, { traced, stackTraces }), code);
    }
  }
  console.log(`[build] dist/ (${Object.keys(ENTRY_POINTS).join(', ')}, workflow-bundle) in ${Date.now() - started} ms`);
}

await main();
