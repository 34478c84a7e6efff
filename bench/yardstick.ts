import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The host yardstick: a fixed piece of work (bench/yardstick-work.mjs) in a process of its own, whose CPU cost per
 * operation moves only with the host: its cores' speed and the memory system it shares with its neighbours. Read when
 * the service is quiet and again while a probe runs, it tells a probe made slower by the open payments' work from one
 * made slower by the machine under it.
 */
export interface YardstickReading {
  /** Register arithmetic: the core's speed. */
  integerNs: number;
  /** AES-256-GCM over 1 KiB, as the payload codec seals a payload. */
  aesGcmNs: number;
  /** A JSON round trip of a payment-shaped object: allocation and the young generation. */
  jsonNs: number;
  /** One step of a random walk through 64 MiB, beyond the last-level cache: what memory itself costs. */
  memoryChaseNs: number;
  /** The same through 4 MiB, which the last-level cache holds alone: a miss only where neighbours evicted it. */
  cacheChaseNs: number;
}

export const YARDSTICK_PARTS: (keyof YardstickReading)[] = ['integerNs', 'aesGcmNs', 'jsonNs', 'memoryChaseNs', 'cacheChaseNs'];

const WORK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'yardstick-work.mjs');

/** One reading (about 3 CPU seconds); null when the work failed, which a report shows as not measured. */
export async function readYardstick(): Promise<YardstickReading | null> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [WORK], { timeout: 120_000 });
    return JSON.parse(stdout) as YardstickReading;
  } catch {
    return null;
  }
}
