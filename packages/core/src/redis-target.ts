// Which Redis a process talks to: one server (a redis:// URL), a Sentinel set that names the master, or the nodes of
// a Redis Cluster. The three travel as one string, so every place that passes a Redis URL on (bridge config, CLI,
// dashboard, the `up` stack file) carries the others unchanged:
//   redis://[user:password@]host:port[/db]                      one server (rediss:// with TLS)
//   redis+sentinel://[user:password@]host:port,host:port/NAME   Sentinel set, master NAME
//   redis+cluster://[user:password@]host:port,host:port         Cluster seed nodes
// The Sentinel password, when there is one, rides as `?sentinelPassword=`. The string is a secret whenever it
// carries a password: messages name only the addresses (describeRedisTarget).
import { z } from 'zod';
import { RdcError } from './errors.js';

export interface HostPort {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: 'url'; url: string }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      /** The master's name in the sentinels' configuration (`sentinel monitor NAME …`). */
      name: string;
      sentinelPassword?: string;
      username?: string;
      password?: string;
    }
  | { kind: 'cluster'; nodes: HostPort[]; username?: string; password?: string };

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const SENTINEL_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/** `host:port,host:port` → entries; RDC_CONFIG_INVALID naming the variable and the bad entry. */
export function parseHostPorts(list: string, variable: string): HostPort[] {
  const entries = list.split(',').map((entry) => entry.trim());
  if (entries.length === 0 || entries.every((e) => e === '')) {
    throw new RdcError('RDC_CONFIG_INVALID', `${variable}: empty; give host:port[,host:port…]`);
  }
  return entries.map((entry, i) => {
    const match = HOST_PORT.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65_535) {
      throw new RdcError(
        'RDC_CONFIG_INVALID',
        `${variable}: entry ${i + 1} ("${entry}") is not host:port (for example 127.0.0.1:6379)`,
      );
    }
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

function hostPortText(nodes: readonly HostPort[]): string {
  return nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',');
}

function userInfo(target: { username?: string; password?: string }): string {
  if (target.username === undefined && target.password === undefined) return '';
  const user = encodeURIComponent(target.username ?? '');
  return target.password === undefined ? `${user}@` : `${user}:${encodeURIComponent(target.password)}@`;
}

/** The one-string form of a target (see the file's header). */
export function formatRedisTarget(target: RedisTarget): string {
  if (target.kind === 'url') return target.url;
  if (target.kind === 'cluster') return `redis+cluster://${userInfo(target)}${hostPortText(target.nodes)}`;
  const query =
    target.sentinelPassword === undefined ? '' : `?sentinelPassword=${encodeURIComponent(target.sentinelPassword)}`;
  return `redis+sentinel://${userInfo(target)}${hostPortText(target.sentinels)}/${encodeURIComponent(target.name)}${query}`;
}

/** Parses the one-string form; RDC_CONFIG_INVALID saying what is wrong. */
export function parseRedisTarget(text: string, variable = 'Redis URL'): RedisTarget {
  if (/^rediss?:\/\//.test(text)) return { kind: 'url', url: text };
  const match = /^redis\+(sentinel|cluster):\/\/(?:([^@/]*)@)?([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/.exec(text);
  if (!match) {
    throw new RdcError(
      'RDC_CONFIG_INVALID',
      `${variable}: must start with redis://, rediss://, redis+sentinel:// or redis+cluster:// (for example redis://127.0.0.1:6379)`,
    );
  }
  const [, kind, auth, hosts = '', path = '', query = ''] = match;
  const credentials = parseUserInfo(auth);
  const nodes = parseHostPorts(hosts, variable);
  if (kind === 'cluster') return { kind: 'cluster', nodes, ...credentials };
  const name = decodeURIComponent(path);
  if (!SENTINEL_NAME.test(name)) {
    throw new RdcError('RDC_CONFIG_INVALID', `${variable}: the Sentinel master name (after the last /) is missing`);
  }
  const sentinelPassword = new URLSearchParams(query).get('sentinelPassword') ?? undefined;
  return { kind: 'sentinel', sentinels: nodes, name, ...credentials, ...(sentinelPassword && { sentinelPassword }) };
}

function parseUserInfo(auth: string | undefined): { username?: string; password?: string } {
  if (auth === undefined) return {};
  const colon = auth.indexOf(':');
  const username = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
  const password = colon < 0 ? undefined : decodeURIComponent(auth.slice(colon + 1));
  return { ...(username !== '' && { username }), ...(password !== undefined && { password }) };
}

/** Where a target points, for messages: addresses only, never a user or password. */
export function describeRedisTarget(text: string): string {
  let target: RedisTarget;
  try {
    target = parseRedisTarget(text);
  } catch {
    return '(unparseable Redis URL)';
  }
  if (target.kind === 'cluster') return `${hostPortText(target.nodes)} (Redis Cluster)`;
  if (target.kind === 'sentinel') {
    return `${hostPortText(target.sentinels)} (sentinels of master ${target.name})`;
  }
  try {
    const parsed = new URL(target.url);
    return parsed.port ? parsed.host : `${parsed.host}:6379`;
  } catch {
    return '(unparseable Redis URL)';
  }
}

/** A Redis target as a config value: a string in one of the three forms. */
export const redisTargetSchema = z.string().superRefine((text, ctx) => {
  try {
    parseRedisTarget(text, 'redisUrl');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
  }
});

/** What the SDK accepts besides a string: the same three topologies as fields. */
export type RedisTopologyOptions =
  | { url: string }
  | { sentinels: string; sentinelName: string; sentinelPassword?: string; username?: string; password?: string }
  | { clusterNodes: string; username?: string; password?: string };

export interface RedisTargetEnv {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: string | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_CLUSTER_NODES?: string | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
}

/**
 * The target the environment (or the SDK's options, with the same names) selects, or undefined when it names
 * none. At most one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES; REDIS_USERNAME/REDIS_PASSWORD are the
 * data nodes' login for the other two (a REDIS_URL carries its own).
 */
export function redisTargetFromEnv(env: RedisTargetEnv): { target: string; source: RedisTargetSource } | undefined {
  const set = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((name) => env[name]);
  if (set.length > 1) {
    throw new RdcError(
      'RDC_CONFIG_INVALID',
      `${set.join(' and ')} are set together: choose one Redis topology (a single server, Sentinel or Cluster)`,
    );
  }
  const credentials = {
    ...(env.REDIS_USERNAME && { username: env.REDIS_USERNAME }),
    ...(env.REDIS_PASSWORD && { password: env.REDIS_PASSWORD }),
  };
  const source = set[0];
  if (source !== 'REDIS_SENTINELS') {
    for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'] as const) {
      if (env[name]) throw new RdcError('RDC_CONFIG_INVALID', `${name}: set, but REDIS_SENTINELS is not`);
    }
  }
  if (source === undefined || source === 'REDIS_URL') {
    for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD'] as const) {
      if (env[name]) {
        throw new RdcError(
          'RDC_CONFIG_INVALID',
          `${name}: applies to REDIS_SENTINELS or REDIS_CLUSTER_NODES; a REDIS_URL carries its own user and password`,
        );
      }
    }
  }
  if (source === undefined) return undefined;
  if (source === 'REDIS_URL') {
    // Any of the three forms: `acl apply` on a Cluster or Sentinel prints redis+cluster:// / redis+sentinel:// URLs.
    const url = env.REDIS_URL!;
    parseRedisTarget(url, 'REDIS_URL');
    return { target: url, source };
  }
  if (source === 'REDIS_CLUSTER_NODES') {
    const nodes = parseHostPorts(env.REDIS_CLUSTER_NODES!, 'REDIS_CLUSTER_NODES');
    return { target: formatRedisTarget({ kind: 'cluster', nodes, ...credentials }), source };
  }
  const sentinels = parseHostPorts(env.REDIS_SENTINELS!, 'REDIS_SENTINELS');
  const name = env.REDIS_SENTINEL_NAME;
  if (!name || !SENTINEL_NAME.test(name)) {
    throw new RdcError(
      'RDC_CONFIG_INVALID',
      name
        ? 'REDIS_SENTINEL_NAME: must be 1-128 letters, digits, ".", "_" or "-"'
        : 'REDIS_SENTINEL_NAME: missing; with REDIS_SENTINELS, name the master the sentinels monitor',
    );
  }
  const sentinelPassword = env.REDIS_SENTINEL_PASSWORD || undefined;
  return {
    target: formatRedisTarget({
      kind: 'sentinel',
      sentinels,
      name,
      ...credentials,
      ...(sentinelPassword && { sentinelPassword }),
    }),
    source,
  };
}

export type RedisTargetSource = 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES';

/** The SDK's topology options → the one-string form (same rules and messages as the environment). */
export function redisTargetFromOptions(options: RedisTopologyOptions): string {
  const env: RedisTargetEnv =
    'url' in options
      ? { REDIS_URL: options.url }
      : 'clusterNodes' in options
        ? {
            REDIS_CLUSTER_NODES: options.clusterNodes,
            REDIS_USERNAME: options.username,
            REDIS_PASSWORD: options.password,
          }
        : {
            REDIS_SENTINELS: options.sentinels,
            REDIS_SENTINEL_NAME: options.sentinelName,
            REDIS_SENTINEL_PASSWORD: options.sentinelPassword,
            REDIS_USERNAME: options.username,
            REDIS_PASSWORD: options.password,
          };
  const found = redisTargetFromEnv(env);
  if (!found) throw new RdcError('RDC_CONFIG_INVALID', 'redis: give url, sentinels or clusterNodes');
  return found.target;
}
