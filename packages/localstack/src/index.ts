// @rediacc/localstack: real redis-server and sshd processes on loopback, with generated SSH keys, for
// `rediacc up` and the test harness. Everything else in this package is internal.
export { generateKeyPair, hostKeyFingerprint, type KeyPair } from './keys.js';
export { LocalProcessError } from './local-process-error.js';
export type { ManagedProcess } from './managed-process.js';
export { type RedisServer, type RedisServerOptions, startRedisServer } from './redis-server.js';
export { type Sshd, type SshdOptions, startSshd } from './sshd.js';
