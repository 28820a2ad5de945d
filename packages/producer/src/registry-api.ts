// Teams and machines as the SDK exposes them.
import {
  generateTeamKeyPair,
  type MachineInput,
  type MachinePatch,
  type MachineRecord,
  type TeamRecord,
} from '@rediacc/core';
import {
  addMachine,
  createTeam,
  findMachine,
  getMachine,
  getTeam,
  listMachines,
  listTeams,
  removeMachine,
  updateMachine,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';
import type { AuditTrail } from './audit-trail.js';

export interface CreatedTeam {
  team: TeamRecord;
  /** The team's vault secret key (base64). Returned once, never stored in Redis: give it to the team's bridges. */
  secretKey: string;
}

export class Teams {
  constructor(
    private readonly redis: Redis,
    private readonly audit: AuditTrail,
  ) {}

  async create(name: string): Promise<CreatedTeam> {
    const keys = generateTeamKeyPair();
    const team = await createTeam(this.redis, name, keys.publicKey);
    await this.audit.record([{ team: team.name, action: 'team.create', target: team.name, outcome: 'ok' }]);
    return { team, secretKey: keys.secretKey };
  }

  list(): Promise<TeamRecord[]> {
    return listTeams(this.redis);
  }

  /** One team; RDC_TEAM_UNKNOWN when there is none of that name. */
  get(name: string): Promise<TeamRecord> {
    return getTeam(this.redis, name);
  }
}

export class Machines {
  constructor(
    private readonly redis: Redis,
    private readonly audit: AuditTrail,
  ) {}

  async add(input: MachineInput): Promise<MachineRecord> {
    const target = { team: String(input?.team), action: 'machine.add', target: String(input?.name) } as const;
    const record = await addMachine(this.redis, input).catch(async (error: unknown) => {
      await this.audit.refused(error, target);
      throw error;
    });
    await this.audit.record([
      { ...target, outcome: 'ok', detail: { host: record.host, port: record.port, user: record.user } },
    ]);
    return record;
  }

  async remove(team: string, name: string): Promise<boolean> {
    const target = { team, action: 'machine.remove', target: name } as const;
    const removed = await removeMachine(this.redis, team, name).catch(async (error: unknown) => {
      await this.audit.refused(error, target);
      throw error;
    });
    await this.audit.record([{ ...target, outcome: 'ok', detail: { removed } }]);
    return removed;
  }

  list(team?: string): Promise<MachineRecord[]> {
    return listMachines(this.redis, team);
  }

  /**
   * Changes a machine: `{ maxConcurrent: 2 }` caps the tasks it runs at once across the fleet, `null` lifts
   * its own cap (the bridges' --max-per-machine applies again). Bridges see it within their registry TTL.
   */
  async set(name: string, patch: MachinePatch, team?: string): Promise<MachineRecord> {
    const owner = team ?? (await findMachine(this.redis, name)).team;
    const target = { team: owner, action: 'machine.set', target: name } as const;
    const record = await updateMachine(this.redis, owner, name, patch).catch(async (error: unknown) => {
      await this.audit.refused(error, target);
      throw error;
    });
    await this.audit.record([{ ...target, outcome: 'ok', detail: { maxConcurrent: record.maxConcurrent ?? null } }]);
    return record;
  }

  /** A machine by name, in `team` or (when omitted) the one team that has it. */
  get(name: string, team?: string): Promise<MachineRecord> {
    return team ? getMachine(this.redis, team, name) : findMachine(this.redis, name);
  }
}
