/** A TCP port nothing listens on right now (bound, then released): the devservers' own helper. */
export { findFreePort as freePort } from '../../src/devservers/listen.js';
