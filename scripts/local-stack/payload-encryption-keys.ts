import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The local stack's PAYLOAD_ENCRYPTION_KEYS: generated once into `<dataDir>/payload-encryption-keys` (readable by this
 * user only) and reused after, so the workflows kept in the dev server's database stay readable across restarts.
 */
export function localPayloadEncryptionKeys(dataDir: string): string {
  const file = path.join(dataDir, 'payload-encryption-keys');
  mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx': never overwrite a key that exists (another start may have written it a moment ago).
    writeFileSync(file, `local-1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}
