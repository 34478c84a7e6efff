import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { decode, encode } from '@temporalio/common/lib/encoding';
// A CommonJS module: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';

/**
 * Temporal payloads (workflow and activity inputs and results, signals, updates, queries) are encrypted before they
 * leave the process, so the customer's name, e-mail, phone and card token never sit in plain text in a history.
 * The shape is Temporal's own encryption sample's, so a codec server or the CLI can share it: the whole original
 * payload (metadata and data, serialized as a protobuf) is sealed with AES-256-GCM; the sealed payload says
 * `encoding: binary/encrypted` and names its key in `encryption-key-id`; its data is nonce (12 bytes) ‖ ciphertext ‖
 * authentication tag (16 bytes).
 */
const ProtoPayload = proto.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const ENCRYPTION_KEY_ID_METADATA = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
/** GCM's standard nonce, random per payload: NIST allows 2^32 random nonces per key, far beyond a key's lifetime here. */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const PAYLOAD_KEY_BYTES = 32;

/** One key of PAYLOAD_ENCRYPTION_KEYS: its id travels with every payload it seals, the key itself never does. */
export interface PayloadEncryptionKey {
  id: string;
  key: Buffer;
}

export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

export interface PayloadEncryptionOptions {
  /**
   * Open payloads written without encryption as they are: histories from before encryption. Otherwise they are
   * refused, because whoever wrote one held no key: a client or worker that reached Temporal without being ours.
   */
  acceptUnencrypted?: boolean;
}

/** Logged at start by each process that opens unencrypted payloads: it is a window to close, not a setting to keep. */
export const UNENCRYPTED_ACCEPTED_WARNING =
  'ACCEPT_UNENCRYPTED_PAYLOADS is on: Temporal payloads written without a key are opened, so whoever reaches Temporal can refund and cancel; turn it off once no workflow from before encryption is open';

/**
 * What a refused payload opens to: an encoding no payload converter reads, so converting it fails where it is used.
 * Thrown here instead, the error would fail the whole workflow task, and an update would be tried again with every
 * task while its sender retried; failing in the conversion, an update is rejected before it is accepted (as any
 * update whose arguments do not convert) and the payment goes on. A refused signal or workflow input still fails
 * its workflow task, as it is in the history (docs/security.md, threat 19).
 */
export const REFUSED_UNENCRYPTED_ENCODING = 'binary/refused-unencrypted';
const refusedPayload = (): Payload => ({ metadata: { [METADATA_ENCODING_KEY]: encode(REFUSED_UNENCRYPTED_ENCODING) }, data: new Uint8Array() });

/**
 * Seals with the first key and opens with any of them, so a key is rotated by putting the new one first and keeping
 * the old one until no open workflow's history holds a payload sealed with it. An unsealed payload is refused unless
 * `acceptUnencrypted`. With no keys it seals and refuses nothing (local development without a key; production refuses
 * to start that way, src/config.ts).
 */
export class PayloadEncryptionCodec implements PayloadCodec {
  // Key objects, not buffers: Node 24 converts a buffer key on every cipher, which tripled the codec's CPU (docs/tuning.md).
  private readonly keys: ReadonlyMap<string, KeyObject>;
  private readonly sealingKey: SealingKey | undefined;
  private readonly refusesUnencrypted: boolean;

  constructor(keys: readonly PayloadEncryptionKey[], { acceptUnencrypted = false }: PayloadEncryptionOptions = {}) {
    for (const { id, key } of keys) {
      if (key.length !== PAYLOAD_KEY_BYTES)
        throw new Error(`payload encryption key "${id}" is ${key.length} bytes, not ${PAYLOAD_KEY_BYTES}`);
    }
    this.keys = new Map(keys.map(({ id, key }) => [id, createSecretKey(key)]));
    this.sealingKey = keys[0] && { id: keys[0].id, key: createSecretKey(keys[0].key) };
    this.refusesUnencrypted = keys.length > 0 && !acceptUnencrypted;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const sealing = this.sealingKey;
    if (!sealing) return payloads;
    return payloads.map((payload) => seal(payload, sealing));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.open(payload));
  }

  private open(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || decode(encoding) !== ENCRYPTED_ENCODING) return this.refusesUnencrypted ? refusedPayload() : payload;
    const keyIdBytes = payload.metadata?.[ENCRYPTION_KEY_ID_METADATA];
    if (!keyIdBytes) throw new PayloadDecryptionError(`an encrypted payload has no ${ENCRYPTION_KEY_ID_METADATA} in its metadata`);
    const keyId = decode(keyIdBytes);
    const key = this.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `a payload is encrypted with key id "${keyId}", which is not in PAYLOAD_ENCRYPTION_KEYS (known: ${[...this.keys.keys()].map((id) => `"${id}"`).join(', ') || 'none'})`,
      );
    }
    const sealed = payload.data ?? new Uint8Array();
    if (sealed.length < NONCE_BYTES + TAG_BYTES)
      throw new PayloadDecryptionError(`a payload encrypted with key id "${keyId}" is truncated`);
    const decipher = createDecipheriv(CIPHER, key, sealed.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        `a payload encrypted with key id "${keyId}" failed authentication: it was altered, or sealed by a different key under the same id`,
      );
    }
    return ProtoPayload.decode(plaintext);
  }
}

interface SealingKey {
  id: string;
  key: KeyObject;
}

function seal(payload: Payload, { id, key }: SealingKey): Payload {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  const plaintext = ProtoPayload.encode(payload).finish();
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    metadata: { [METADATA_ENCODING_KEY]: encode(ENCRYPTED_ENCODING), [ENCRYPTION_KEY_ID_METADATA]: encode(id) },
    data: Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]),
  };
}

/** The data converter of every Temporal client and worker the project creates (API, worker, scripts, tests). */
export function encryptedDataConverter(keys: readonly PayloadEncryptionKey[], options?: PayloadEncryptionOptions): DataConverter {
  return { payloadCodecs: [new PayloadEncryptionCodec(keys, options)] };
}
