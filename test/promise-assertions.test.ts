import { describe, expect, it } from 'vitest';

// test/support/no-promise-assertions.ts, loaded before every test file: an assertion on an unawaited Promise
// (a repository call without `await`) fails instead of passing on the Promise object.
describe('assertions handed a Promise', () => {
  it('fail, whatever the matcher, negated or not', () => {
    const pending = Promise.resolve(undefined);
    expect(() => expect(pending).toBeTruthy()).toThrow(/handed a Promise: await the value first/);
    expect(() => expect(pending).not.toBeUndefined()).toThrow(/handed a Promise/);
    expect(() => expect(pending).toEqual(undefined)).toThrow(/handed a Promise/);
  });

  it('pass through .resolves and .rejects, which unwrap the Promise first', async () => {
    await expect(Promise.resolve(42)).resolves.toBe(42);
    await expect(Promise.reject(new Error('refused'))).rejects.toThrow('refused');
  });
});
