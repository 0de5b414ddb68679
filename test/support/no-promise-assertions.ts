import { chai } from 'vitest';

// Every repository method is async (issue 18): `expect(repo.find(x)).toBeTruthy()` would pass on the Promise
// itself and assert nothing. An assertion handed a Promise fails instead, unless it goes through .resolves or
// .rejects (which unwrap it first).
const MATCHERS = [
  'toBe', 'toEqual', 'toStrictEqual', 'toMatchObject', 'toBeTruthy', 'toBeFalsy', 'toBeDefined', 'toBeUndefined', 'toBeNull',
  'toHaveLength', 'toContain', 'toContainEqual', 'toHaveProperty', 'toBeGreaterThan', 'toBeGreaterThanOrEqual', 'toBeLessThan',
  'toBeLessThanOrEqual', 'toMatch', 'toBeInstanceOf', 'toBeTypeOf', 'toSatisfy', 'toMatchInlineSnapshot', 'toMatchSnapshot',
];

chai.use((api, utils) => {
  for (const name of MATCHERS) {
    utils.overwriteMethod(api.Assertion.prototype, name, (original: (...args: unknown[]) => unknown) =>
      function (this: object, ...args: unknown[]) {
        const value: unknown = utils.flag(this, 'object');
        const thenable = typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
        if (thenable && !utils.flag(this, 'promise')) throw new Error(`expect(...).${name}() was handed a Promise: await the value first (or use .resolves / .rejects)`);
        return original.apply(this, args);
      },
    );
  }
});
