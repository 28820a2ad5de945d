// SDK clients that act for one dashboard token: they share the dashboard's Redis connection and name
// `dashboard:<token id>` as the actor of every audit entry they write (cancel, retry). Opened on a token's first
// change and closed with the app.
import type { DashboardPrincipal } from '@rediacc/core';
import { createClient, type RediaccClient } from '@rediacc/producer';
import type { Redis } from 'ioredis';

export class ActorClients {
  private readonly clients = new Map<string, RediaccClient>();

  constructor(private readonly redis: Redis) {}

  of(principal: DashboardPrincipal): RediaccClient {
    let client = this.clients.get(principal.id);
    if (!client) {
      client = createClient({ redis: this.redis, actor: `dashboard:${principal.id}` });
      this.clients.set(principal.id, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(clients.map((client) => client.close()));
  }
}
