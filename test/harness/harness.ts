// The shared test harness: real redis-server and sshd processes on loopback, with temporary directories,
// all owned by one Harness that closes them in reverse order of creation.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateKeyPair,
  type RedisServer,
  type RedisServerOptions,
  type Sshd,
  startRedisServer,
  startSshd,
} from '@rediacc/localstack';

export interface TestMachine {
  sshd: Sshd;
  host: string;
  port: number;
  user: string;
  privateKeyPath: string;
  publicKey: string;
  hostKeyFingerprint: string;
}

export interface MachineOptions {
  /** Any 127.x.y.z; default 127.0.0.1. */
  host?: string;
  /** Default true. */
  setEnvShlvl?: boolean;
  /** Default true; false: the sshd has no `Subsystem sftp` line. */
  sftp?: boolean;
  /** The login user (default: whoever runs the tests). sshd's authorized_keys are per file, not per user. */
  user?: string;
  /** Default: a free port (found on `host` from this process: give one for a host in another namespace). */
  port?: number;
  /** A command that execs sshd in its place: `['ip', 'netns', 'exec', NS]` (see netns.ts). */
  execVia?: readonly string[];
}

type Releaser = () => Promise<void>;

export class Harness {
  readonly #releasers: Releaser[] = [];
  #closing: Promise<void> | undefined;

  /** A redis-server whose data lives in a harness temporary directory unless `dir` is given. */
  async redis(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = options.dir ?? (await this.tempDir('redis'));
    const server = await startRedisServer({ ...options, dir });
    this.#own(() => server.stop());
    return server;
  }

  /** An sshd that authorizes a freshly generated client key pair. */
  async machine(options: MachineOptions = {}): Promise<TestMachine> {
    const keyDir = await this.tempDir('client-key');
    const key = await generateKeyPair(keyDir, 'id_ed25519');
    const sshd = await startSshd({
      dir: await this.tempDir('sshd'),
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.setEnvShlvl === undefined ? {} : { setEnvShlvl: options.setEnvShlvl }),
      ...(options.sftp === undefined ? {} : { sftp: options.sftp }),
      ...(options.execVia === undefined ? {} : { execVia: options.execVia }),
      ...(options.port === undefined ? {} : { port: options.port }),
      authorizedKeys: [key.publicKey],
    });
    this.#own(() => sshd.stop());
    return {
      sshd,
      host: sshd.host,
      port: sshd.port,
      user: options.user ?? sshd.user,
      privateKeyPath: key.privateKeyPath,
      publicKey: key.publicKey,
      hostKeyFingerprint: sshd.hostKeyFingerprint,
    };
  }

  /** A fresh directory, removed at close (after the servers that use it have stopped). */
  async tempDir(prefix = 'tmp'): Promise<string> {
    this.#assertOpen();
    const dir = await mkdtemp(join(tmpdir(), `rediacc-test-${prefix}-`));
    this.#own(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /** Registers something else the harness must release at close (processes a test started, for example). */
  own(release: Releaser): void {
    this.#own(release);
  }

  /** Stops everything in reverse order of creation. Idempotent: later calls return the first call's promise. */
  close(): Promise<void> {
    this.#closing ??= this.#releaseAll();
    return this.#closing;
  }

  #own(release: Releaser): void {
    if (this.#closing) {
      // Started while closing (a test still running after afterAll): release it at once rather than leak it.
      release().catch((error: unknown) => console.error('harness: releasing a late resource failed', error));
      return;
    }
    this.#releasers.push(release);
  }

  #assertOpen(): void {
    if (this.#closing) throw new Error('harness is closed: create a new Harness for more servers');
  }

  async #releaseAll(): Promise<void> {
    const errors: unknown[] = [];
    // Every releaser runs even when one fails, so one bad server does not leak the others.
    for (const release of this.#releasers.splice(0).reverse()) {
      try {
        await release();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} harness resources failed to close`);
  }
}
