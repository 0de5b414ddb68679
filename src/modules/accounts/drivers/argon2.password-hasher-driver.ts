import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { createError } from '../../../shared/errors.js';

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a stored value that is not a valid hash (never throws for those). */
  verify(stored: string, password: string): Promise<boolean>;
};

/**
 * OWASP's argon2id parameters (Password Storage Cheat Sheet): 19 MiB of memory, 2 passes, 1 lane; about
 * 0.1 s on one core here. The PHC string keeps the parameters, so a later change still verifies old hashes.
 */
export const ARGON2ID_PARAMS = { algorithm: 2 as Algorithm /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** @node-rs/argon2: a prebuilt native addon (no compiler at install); hashing runs on libuv's thread pool. */
export function createArgon2Hasher(params = ARGON2ID_PARAMS): PasswordHasher {
  return {
    async hash(password) {
      try {
        return await hash(password, params);
      } catch (error) {
        throw createError({ code: 'accounts.hash_failed', message: 'hashing the password failed', cause: error });
      }
    },
    async verify(stored, password) {
      try {
        return await verify(stored, password);
      } catch {
        return false;
      }
    },
  };
}
