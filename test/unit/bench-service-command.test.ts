import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceCommand } from '../../bench/stack';
import { PROJECT_ROOT } from '../../scripts/local-stack/binaries';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-service-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The image runs `node dist/…`, where Node's source maps are off; tsx turns them on for what it runs.
describe('bench service command', () => {
  it('runs a service through tsx with Node source maps off, as the image runs it', () => {
    const entry = path.join(dir, 'report.ts');
    writeFileSync(entry, "const enabled: boolean = process.sourceMapsEnabled;\nconsole.log(JSON.stringify({ enabled }));\n");
    const run = ({ command, args }: { command: string; args: string[] }) => JSON.parse(execFileSync(command, args, { encoding: 'utf8' }).trim());
    expect(run({ command: path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), args: [entry] })).toEqual({ enabled: true });
    expect(run(serviceCommand(PROJECT_ROOT, entry))).toEqual({ enabled: false });
  }, 60_000);
});
