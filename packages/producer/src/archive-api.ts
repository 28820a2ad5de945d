// Finished tasks past the live queue: each team's retention (how long and how many finished tasks stay in the live
// queue, applied by the bridges' archiver) and the export of every finished task of a period, archived or live.
import {
  parseInput,
  type RetentionInput,
  type RetentionPolicy,
  retentionInputSchema,
  type TaskView,
  teamNameSchema,
} from '@rediacc/core';
import { exportFinished, getRetention, getTeam, setRetention, type TeamQueues } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import type { AuditTrail } from './audit-trail.js';

export class Archive {
  constructor(
    private readonly redis: Redis,
    private readonly queues: TeamQueues,
    private readonly audit: AuditTrail,
  ) {}

  /** The team's retention (DEFAULT_RETENTION until it sets one). */
  async retention(team: string): Promise<RetentionPolicy> {
    await this.team(team);
    return getRetention(this.redis, team);
  }

  /** Sets how long (`keepFor: '7d'`) and how many (`keepCount`) finished tasks stay live; what is left out stays. */
  async setRetention(team: string, input: RetentionInput): Promise<RetentionPolicy> {
    await this.team(team);
    const change = parseInput(retentionInputSchema, input, 'retention');
    const current = await getRetention(this.redis, team);
    const policy: RetentionPolicy = {
      keepForMs: change.keepFor ?? current.keepForMs,
      keepCount: change.keepCount ?? current.keepCount,
    };
    const audit = { team, action: 'retention.set', target: team } as const;
    await setRetention(this.redis, team, policy).catch(async (error: unknown) => {
      await this.audit.refused(error, audit);
      throw error;
    });
    await this.audit.record([{ ...audit, outcome: 'ok', detail: { ...policy } }]);
    return policy;
  }

  /**
   * Every finished task (COMPLETED or FAILED) of `team` that ended in the last `sinceMs`, whether still in the live
   * queue or archived, as `inspect` shows it, one at a time: `for await (const task of archive.export(team))`.
   */
  async *export(team: string, options: { sinceMs?: number } = {}): AsyncGenerator<TaskView, void, undefined> {
    await this.team(team);
    const since = options.sinceMs === undefined ? 0 : Date.now() - options.sinceMs;
    yield* exportFinished(this.redis, this.queues, team, since);
  }

  private async team(team: string): Promise<void> {
    parseInput(teamNameSchema, team, 'team name');
    await getTeam(this.redis, team);
  }
}
