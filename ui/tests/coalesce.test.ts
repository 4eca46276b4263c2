import { describe, expect, it } from 'vitest';
import { coalesce } from '../src/lib/coalesce';

describe('coalesce', () => {
  it('runs once more, not once per call, when asked during a run', async () => {
    let runs = 0;
    let release: () => void = () => {};
    const reload = coalesce(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    });
    const first = reload();
    for (let i = 0; i < 50; i++) void reload();
    expect(runs, 'still in the first run').toBe(1);
    release();
    await first;
    expect(runs, 'fifty requests during the first run made one more').toBe(2);
    await reload();
    expect(runs, 'idle again: a new request runs at once').toBe(3);
  });

  it('keeps working after a run throws', async () => {
    let runs = 0;
    const reload = coalesce(async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    });
    await expect(reload()).rejects.toThrow('boom');
    await reload();
    expect(runs).toBe(2);
  });
});
