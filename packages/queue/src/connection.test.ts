import type { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedis, duplicateRedis, everyNode } from './connection.js';

// Nothing listens on port 1: these check which client the factory builds, not a server.
describe('createRedis', () => {
  it('builds one server from a redis:// URL', () => {
    const redis = createRedis('redis://127.0.0.1:1', 'producer', { lazyConnect: true });
    expect(redis.isCluster).toBe(false);
    expect(everyNode(redis)).toEqual([redis]);
    redis.disconnect();
  });

  it('asks the sentinels for the named master, with both passwords, and keeps the role options', () => {
    const redis = createRedis('redis+sentinel://:pw@127.0.0.1:1,127.0.0.1:2/rdc-main?sentinelPassword=sp', 'worker', {
      lazyConnect: true,
    });
    expect(redis.isCluster).toBe(false);
    expect(redis.options).toMatchObject({
      sentinels: [
        { host: '127.0.0.1', port: 1 },
        { host: '127.0.0.1', port: 2 },
      ],
      name: 'rdc-main',
      password: 'pw',
      sentinelPassword: 'sp',
      maxRetriesPerRequest: null,
    });
    redis.disconnect();
  });

  it('builds a Cluster whose nodes carry the login and the role options; duplicates stay Clusters', () => {
    const redis = createRedis('redis+cluster://ops:pw@127.0.0.1:1', 'worker');
    expect(redis.isCluster).toBe(true);
    const cluster = redis as unknown as Cluster;
    expect(cluster.options.redisOptions).toMatchObject({ username: 'ops', password: 'pw', maxRetriesPerRequest: null });
    const copy = duplicateRedis(redis, { enableOfflineQueue: true }) as unknown as Cluster;
    expect(copy.isCluster).toBe(true);
    expect(copy.options.redisOptions).toMatchObject({ username: 'ops', password: 'pw', enableOfflineQueue: true });
    copy.disconnect();
    redis.disconnect();
  });
});
