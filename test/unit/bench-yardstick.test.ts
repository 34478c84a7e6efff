import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bench/options';
import { hostYardstickTable } from '../../bench/report';
import { readYardstick, YARDSTICK_PARTS } from '../../bench/yardstick';

describe('the host yardstick', () => {
  it('times each of its fixed pieces of work in a process of its own', async () => {
    const reading = await readYardstick();
    expect(reading).not.toBeNull();
    expect(Object.keys(reading!).sort()).toEqual([...YARDSTICK_PARTS].sort());
    for (const part of YARDSTICK_PARTS) expect(reading![part]).toBeGreaterThan(0);
    // A cipher over 1 KiB costs more than one register operation: the parts are not mixed up.
    expect(reading!.aesGcmNs).toBeGreaterThan(reading!.integerNs * 100);
    expect(reading!.memoryChaseNs).toBeGreaterThan(reading!.integerNs);
  }, 60_000);

  it('is read in the scale phase only when asked', () => {
    expect(parseOptions(['--only', 'scale']).scale.hostYardstick).toBeUndefined();
    expect(parseOptions(['--only', 'scale', '--host-yardstick']).scale.hostYardstick).toBe(true);
  });

  it('is reported per level, before and during each probe, with "–" for a reading that failed', () => {
    const reading = { integerNs: 2.514, aesGcmNs: 11604.23, jsonNs: 6540.5, memoryChaseNs: 155.84, cacheChaseNs: 17.7 };
    const table = hostYardstickTable([
      { openPending: 0, hostYardstick: { beforeProbe: reading, duringProbe: { ...reading, memoryChaseNs: 201.2 } } },
      { openPending: 10000, hostYardstick: { beforeProbe: null, duringProbe: reading } },
    ]);
    expect(table).toContain('| 0 | 2.51 / 11604 / 6541 / 156 / 18 | 2.51 / 11604 / 6541 / 201 / 18 |');
    expect(table).toContain('| 10000 | – | 2.51 / 11604 / 6541 / 156 / 18 |');
  });
});
