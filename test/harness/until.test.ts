import { afterEach, describe, expect, it, vi } from 'vitest';
import { until } from '../../harness/until.ts';

describe('until: the one wait for a condition', () => {
  afterEach(() => void vi.useRealTimers());

  it('resolves once the condition holds, sync or async', async () => {
    let checks = 0;
    await until(() => ++checks === 3, 'the third check');
    expect(checks).toBe(3);
    let flag = false;
    setTimeout(() => (flag = true), 80);
    await until(() => Promise.resolve(flag), 'the flag');
    expect(flag).toBe(true);
  });

  it('fails after its timeout naming what it awaited, read at that moment', async () => {
    let seen = 0;
    const error = await until(
      () => (seen++, false),
      () => `the impossible (checked ${seen} times)`,
      { timeoutMs: 120 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^timed out after 120 ms waiting for the impossible \(checked \d+ times\)$/);
    expect(seen).toBeGreaterThan(1);
  });

  it('keeps waiting in real time while the test fakes Date and every timer, without moving the fake clock', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'Date', 'performance'],
      now: 1_000,
    });
    let done = false;
    void Promise.resolve().then(() => (done = true));
    await until(() => done, 'a microtask');
    await expect(until(() => false, 'nothing', { timeoutMs: 100 })).rejects.toThrow('waiting for nothing');
    expect(Date.now()).toBe(1_000);
  });

  it('ends with the error of a condition that throws', async () => {
    await expect(
      until(() => {
        throw new Error('broken check');
      }, 'a broken check'),
    ).rejects.toThrow('broken check');
  });
});
