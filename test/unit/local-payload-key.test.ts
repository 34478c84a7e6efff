import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localPayloadEncryptionKeys } from '../../scripts/local-stack/payload-encryption-keys';
import { loadConfig } from '../../src/config';

/** `npm run dev`'s payload key: generated once, readable by its owner only, the same on every start after. */

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const dataDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tiketq-payload-key-'));
  dirs.push(dir);
  return path.join(dir, '.data');
};

describe('the local payload encryption key', () => {
  it('is generated into .data/ as a valid PAYLOAD_ENCRYPTION_KEYS, mode 0600', () => {
    const dir = dataDir();
    const keys = localPayloadEncryptionKeys(dir);
    const parsed = loadConfig({
      DATABASE_URL: 'postgresql://tiketq@127.0.0.1:54329/tiketq',
      MIDTRANS_API_BASE_URL: 'http://127.0.0.1:8900',
      MIDTRANS_SNAP_BASE_URL: 'http://127.0.0.1:8900/snap/v1',
      PAYLOAD_ENCRYPTION_KEYS: keys,
    }).PAYLOAD_ENCRYPTION_KEYS;
    expect(parsed).toHaveLength(1);
    expect(statSync(path.join(dir, 'payload-encryption-keys')).mode & 0o777).toBe(0o600);
  });

  it('is reused on the next start, and differs between checkouts', () => {
    const dir = dataDir();
    const first = localPayloadEncryptionKeys(dir);
    expect(localPayloadEncryptionKeys(dir)).toBe(first);
    expect(localPayloadEncryptionKeys(dataDir())).not.toBe(first);
  });
});
