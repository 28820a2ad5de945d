// Every key in Redis with everything it holds, as text (what `redis-cli --scan` and a dump of each key show): the
// tests that prove a secret is nowhere in Redis search it.
import type { Redis } from 'ioredis';

export async function dumpRedis(redis: Redis): Promise<string> {
  const parts: string[] = [];
  for await (const keys of redis.scanStream({ count: 1000 })) {
    for (const key of keys as string[]) {
      const type = await redis.type(key);
      const value =
        type === 'string'
          ? await redis.get(key)
          : type === 'hash'
            ? await redis.hgetall(key)
            : type === 'list'
              ? await redis.lrange(key, 0, -1)
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'zset'
                  ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                  : type === 'stream'
                    ? await redis.xrange(key, '-', '+')
                    : type;
      parts.push(`${key} ${JSON.stringify(value)}`);
    }
  }
  return parts.join('\n');
}
