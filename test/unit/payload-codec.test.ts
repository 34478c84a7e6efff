import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { decode } from '@temporalio/common/lib/encoding';
import { describe, expect, it } from 'vitest';
import {
  ENCRYPTED_ENCODING,
  ENCRYPTION_KEY_ID_METADATA,
  PayloadDecryptionError,
  PayloadEncryptionCodec,
  REFUSED_UNENCRYPTED_ENCODING,
  type PayloadEncryptionKey,
} from '../../src/temporal/payload-codec';
import { bytesOf } from '../support/history-payloads';

/**
 * The codec that keeps customer data out of Temporal histories: sealed payloads carry no plain text, every seal is
 * fresh, tampering and unknown keys fail loudly, plain payloads are refused unless accepted (histories from before encryption), and keys rotate without breaking
 * anything sealed under the previous one.
 */

const keyA: PayloadEncryptionKey = { id: 'key-a', key: randomBytes(32) };
const keyB: PayloadEncryptionKey = { id: 'key-b', key: randomBytes(32) };

const customer = { firstName: 'Budi', lastName: 'Santoso', email: 'budi@example.com', phone: '+6281234567890', tokenId: '481111-1114-c0ffee' };
const plainPayload = (): Payload => defaultPayloadConverter.toPayload(customer);

async function sealOne(codec: PayloadEncryptionCodec, payload = plainPayload()): Promise<Payload> {
  const [sealed] = await codec.encode([payload]);
  return sealed!;
}

describe('PayloadEncryptionCodec', () => {
  it('round-trips a payload: metadata and data come back exactly', async () => {
    const codec = new PayloadEncryptionCodec([keyA]);
    const payload = plainPayload();
    const [opened] = await codec.decode([await sealOne(codec, payload)]);
    const asText = (p: Payload) => Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, decode(v)]));
    expect(asText(opened!)).toEqual(asText(payload));
    expect(Buffer.from(opened!.data!).equals(Buffer.from(payload.data!))).toBe(true);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(customer);
  });

  it('seals into binary/encrypted with the key id, and no customer detail is readable in the bytes', async () => {
    const sealed = await sealOne(new PayloadEncryptionCodec([keyA]));
    expect(decode(sealed.metadata![METADATA_ENCODING_KEY]!)).toBe(ENCRYPTED_ENCODING);
    expect(decode(sealed.metadata![ENCRYPTION_KEY_ID_METADATA]!)).toBe('key-a');
    const bytes = bytesOf([sealed]);
    for (const value of [...Object.values(customer), 'json/plain']) expect(bytes.includes(value), value).toBe(false);
    expect(bytes.includes(keyA.key)).toBe(false);
  });

  it('uses a fresh nonce each time: the same payload seals differently', async () => {
    const codec = new PayloadEncryptionCodec([keyA]);
    const seals = await Promise.all(Array.from({ length: 20 }, () => sealOne(codec)));
    const nonces = new Set(seals.map((s) => Buffer.from(s.data!).subarray(0, 12).toString('hex')));
    const ciphertexts = new Set(seals.map((s) => Buffer.from(s.data!).toString('hex')));
    expect(nonces.size).toBe(20);
    expect(ciphertexts.size).toBe(20);
  });

  it.each([
    ['a flipped ciphertext bit', (data: Buffer) => (data[14]! ^= 0x01)],
    ['a flipped nonce bit', (data: Buffer) => (data[0]! ^= 0x80)],
    ['a flipped tag bit', (data: Buffer) => (data[data.length - 1]! ^= 0x01)],
  ])('refuses a tampered payload: %s', async (_name, tamper) => {
    const codec = new PayloadEncryptionCodec([keyA]);
    const sealed = await sealOne(codec);
    const data = Buffer.from(sealed.data!);
    tamper(data);
    await expect(codec.decode([{ ...sealed, data }])).rejects.toThrow(/key id "key-a" failed authentication/);
  });

  it('refuses a truncated payload', async () => {
    const codec = new PayloadEncryptionCodec([keyA]);
    const sealed = await sealOne(codec);
    await expect(codec.decode([{ ...sealed, data: sealed.data!.subarray(0, 20) }])).rejects.toThrow(/key id "key-a" is truncated/);
  });

  it('refuses a payload sealed by a different key under the same id', async () => {
    const sealed = await sealOne(new PayloadEncryptionCodec([keyA]));
    const impostor = new PayloadEncryptionCodec([{ id: 'key-a', key: randomBytes(32) }]);
    await expect(impostor.decode([sealed])).rejects.toThrow(/failed authentication/);
  });

  it('names an unknown key id, and never a key', async () => {
    const sealed = await sealOne(new PayloadEncryptionCodec([keyA]));
    const error = await new PayloadEncryptionCodec([keyB]).decode([sealed]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    const message = (error as Error).message;
    expect(message).toContain('"key-a"');
    expect(message).toContain('PAYLOAD_ENCRYPTION_KEYS');
    for (const { key } of [keyA, keyB]) {
      expect(message).not.toContain(key.toString('base64'));
      expect(message).not.toContain(key.toString('hex'));
    }
  });

  it('refuses an encrypted payload without a key id', async () => {
    const sealed = await sealOne(new PayloadEncryptionCodec([keyA]));
    const { [ENCRYPTION_KEY_ID_METADATA]: _keyId, ...metadata } = sealed.metadata!;
    await expect(new PayloadEncryptionCodec([keyA]).decode([{ ...sealed, metadata }])).rejects.toThrow(/no encryption-key-id/);
  });

  const unencrypted = () => [plainPayload(), defaultPayloadConverter.toPayload(undefined), defaultPayloadConverter.toPayload(new Uint8Array([1, 2]))];

  it('refuses unencrypted payloads: each opens to a payload no converter reads, holding nothing of what was sent', async () => {
    const opened = await new PayloadEncryptionCodec([keyA]).decode(unencrypted());
    expect(opened).toHaveLength(3);
    for (const payload of opened) {
      expect(decode(payload.metadata![METADATA_ENCODING_KEY]!)).toBe(REFUSED_UNENCRYPTED_ENCODING);
      expect(payload.data).toHaveLength(0);
      expect(() => defaultPayloadConverter.fromPayload(payload)).toThrow(/Unknown encoding: binary\/refused-unencrypted/);
    }
  });

  it('passes unencrypted payloads through untouched with acceptUnencrypted (histories written before encryption)', async () => {
    const plain = unencrypted();
    expect(await new PayloadEncryptionCodec([keyA], { acceptUnencrypted: true }).decode(plain)).toEqual(plain);
    // Sealed ones are still opened, and still checked.
    const accepting = new PayloadEncryptionCodec([keyA], { acceptUnencrypted: true });
    expect(defaultPayloadConverter.fromPayload((await accepting.decode([await sealOne(accepting)]))[0]!)).toEqual(customer);
    await expect(accepting.decode([await sealOne(new PayloadEncryptionCodec([keyB]))])).rejects.toThrow(/key id "key-b"/);
  });

  it('rotates: sealed under A, opened when the keys are "B,A"; new payloads are sealed with B', async () => {
    const underA = await sealOne(new PayloadEncryptionCodec([keyA]));
    const rotated = new PayloadEncryptionCodec([keyB, keyA]);
    const [opened] = await rotated.decode([underA]);
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(customer);
    const underB = await sealOne(rotated);
    expect(decode(underB.metadata![ENCRYPTION_KEY_ID_METADATA]!)).toBe('key-b');
    await expect(new PayloadEncryptionCodec([keyA]).decode([underB])).rejects.toThrow(/key id "key-b"/);
  });

  it('seals and refuses nothing without keys, and then cannot open a sealed payload', async () => {
    const none = new PayloadEncryptionCodec([]);
    const payload = plainPayload();
    expect(await none.encode([payload])).toEqual([payload]);
    // What it sealed not, it opens: unencrypted payloads are all it has.
    expect(await none.decode([payload])).toEqual([payload]);
    await expect(none.decode([await sealOne(new PayloadEncryptionCodec([keyA]))])).rejects.toThrow(/"key-a".*known: none/);
  });

  it('refuses a key that is not 32 bytes, naming its id only', () => {
    const short = randomBytes(16);
    expect(() => new PayloadEncryptionCodec([{ id: 'short', key: short }])).toThrow(/"short" is 16 bytes, not 32/);
  });
});
