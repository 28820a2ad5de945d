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
  listMachines,
  listTeams,
  removeMachine,
  updateMachine,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';

export interface CreatedTeam {
  team: TeamRecord;
  /** The team's vault secret key (base64). Returned once, never stored in Redis: give it to the team's bridges. */
  secretKey: string;
}

export class Teams {
  constructor(private readonly redis: Redis) {}

  async create(name: string): Promise<CreatedTeam> {
    const keys = generateTeamKeyPair();
    const team = await createTeam(this.redis, name, keys.publicKey);
    return { team, secretKey: keys.secretKey };
  }

  list(): Promise<TeamRecord[]> {
    return listTeams(this.redis);
  }
}

export class Machines {
  constructor(private readonly redis: Redis) {}

  add(input: MachineInput): Promise<MachineRecord> {
    return addMachine(this.redis, input);
  }

  remove(team: string, name: string): Promise<boolean> {
    return removeMachine(this.redis, team, name);
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
    return updateMachine(this.redis, owner, name, patch);
  }

  /** A machine by name, in `team` or (when omitted) the one team that has it. */
  get(name: string, team?: string): Promise<MachineRecord> {
    return team ? getMachine(this.redis, team, name) : findMachine(this.redis, name);
  }
}
