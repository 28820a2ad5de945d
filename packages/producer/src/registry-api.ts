// Teams and machines as the SDK exposes them.
import { readFile } from 'node:fs/promises';
import {
  checkPrivateKey,
  formatTags,
  generateTeamKeyPair,
  type MachineInput,
  type MachinePatch,
  type MachineRecord,
  type MachineTags,
  machineInputSchema,
  machineNameSchema,
  machineTagsSchema,
  parseInput,
  RdcError,
  type SelectorInput,
  seal,
  selectorSchema,
  type TeamRecord,
  tagKeySchema,
  teamNameSchema,
} from '@rediacc/core';
import {
  addMachine,
  createTeam,
  findMachine,
  getMachine,
  getTeam,
  listMachines,
  listTeams,
  type MachineStatus,
  readMachineStatuses,
  removeMachine,
  runningByMachine,
  selectMachines,
  updateMachine,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { AuditTrail } from './audit-trail.js';
import { teamPublicKey } from './vault-api.js';

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

  /**
   * Registers a machine. Its SSH private key (`keyFile`: a path on this host, read now; or `privateKey`: the key
   * itself) is checked, sealed to the team's public key and stored in the team's vault as ssh-key/NAME: bridges
   * open it in memory, and the record keeps only the key's fingerprint.
   */
  async add(input: MachineInput): Promise<MachineRecord> {
    const target = { team: String(input?.team), action: 'machine.add', target: String(input?.name) } as const;
    const { keyFile, privateKey, ...fields } = parseInput(machineInputSchema, input, 'machine');
    const keyText = privateKey ?? (await readKeyFile(keyFile ?? ''));
    const info = checkPrivateKey(keyText, keyFile === undefined ? 'privateKey' : `key file ${keyFile}`);
    const now = Date.now();
    const record = await (async () => {
      const team = await getTeam(this.redis, fields.team);
      return addMachine(
        this.redis,
        { ...fields, addedAt: now, ...(info.fingerprint && { keyFingerprint: info.fingerprint }) },
        { kind: 'ssh-key', sealed: seal(keyText, teamPublicKey(team)), updatedAt: now },
      );
    })().catch(async (error: unknown) => {
      await this.audit.refused(error, target);
      throw error;
    });
    await this.audit.record([
      {
        ...target,
        outcome: 'ok',
        detail: {
          host: record.host,
          port: record.port,
          user: record.user,
          keyFingerprint: record.keyFingerprint ?? null,
        },
      },
    ]);
    return record;
  }

  /** Removes a machine and its SSH key from the vault. */
  async remove(team: string, name: string): Promise<boolean> {
    parseInput(teamNameSchema, team, 'team name');
    parseInput(machineNameSchema, name, 'machine name');
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
   * What the bridges last saw of each machine of `team`, by machine name: load, memory and disk free of the run
   * directory (sampled every 30 s by default), the last SSH error and since when the machine is unreachable.
   * Machines no bridge has held a connection to yet are absent; a removed machine's status may linger.
   */
  status(team: string): Promise<Map<string, MachineStatus>> {
    parseInput(teamNameSchema, team, 'team name');
    return readMachineStatuses(this.redis, team);
  }

  /** Tasks of `team` running now (claimed by a bridge), by machine name; machines running none are absent. */
  running(team: string): Promise<Map<string, number>> {
    parseInput(teamNameSchema, team, 'team name');
    return runningByMachine(this.redis, team);
  }

  /**
   * Changes a machine: `{ maxConcurrent: 2 }` caps the tasks it runs at once across the fleet, `null` lifts
   * its own cap (the bridges' --max-per-machine applies again). Bridges see it within their registry TTL.
   */
  async set(name: string, patch: MachinePatch, team?: string): Promise<MachineRecord> {
    validName(name, team);
    const owner = team ?? (await findMachine(this.redis, name)).team;
    const target = { team: owner, action: 'machine.set', target: name } as const;
    const record = await updateMachine(this.redis, owner, name, patch).catch(async (error: unknown) => {
      await this.audit.refused(error, target);
      throw error;
    });
    await this.audit.record([{ ...target, outcome: 'ok', detail: { maxConcurrent: record.maxConcurrent ?? null } }]);
    return record;
  }

  /**
   * Re-pins a machine's host key after a deliberate change (reinstall, new host key): tasks then connect only
   * to a host presenting `hostKeyFingerprint`. `rediacc machine trust` reads the fingerprint from the machine.
   */
  async trust(name: string, hostKeyFingerprint: string, team?: string): Promise<MachineRecord> {
    validName(name, team);
    const owner = team ?? (await findMachine(this.redis, name)).team;
    const target = { team: owner, action: 'machine.trust', target: name } as const;
    const before = await getMachine(this.redis, owner, name);
    const record = await updateMachine(this.redis, owner, name, { hostKeyFingerprint }).catch(
      async (error: unknown) => {
        await this.audit.refused(error, target);
        throw error;
      },
    );
    await this.audit.record([
      { ...target, outcome: 'ok', detail: { from: before.hostKeyFingerprint, to: record.hostKeyFingerprint } },
    ]);
    return record;
  }

  /** Sets tags on a machine (`{ role: 'web' }`): new keys are added, existing ones get the new value. */
  tag(name: string, tags: MachineTags, team?: string): Promise<MachineRecord> {
    return this.retag(name, { tags: parseInput(machineTagsSchema, tags, 'tags') }, team);
  }

  /** Removes tags from a machine by key; a key it does not carry is ignored. */
  untag(name: string, keys: readonly string[], team?: string): Promise<MachineRecord> {
    return this.retag(name, { untag: parseInput(z.array(tagKeySchema), keys, 'tag keys') }, team);
  }

  /**
   * The machines whose tags carry every pair of `selector` (`'role=web,env=prod'` or `{ role: 'web' }`), in `team`
   * or in every team this connection may read.
   */
  select(selector: SelectorInput, team?: string): Promise<MachineRecord[]> {
    const parsed = parseInput(selectorSchema, selector, 'selector');
    if (team !== undefined) parseInput(teamNameSchema, team, 'team name');
    return selectMachines(this.redis, parsed, team);
  }

  private async retag(name: string, patch: MachinePatch, team?: string): Promise<MachineRecord> {
    validName(name, team);
    const owner = team ?? (await findMachine(this.redis, name)).team;
    const target = { team: owner, action: 'machine.set', target: name } as const;
    const record = await updateMachine(this.redis, owner, name, patch).catch(async (error: unknown) => {
      await this.audit.refused(error, target);
      throw error;
    });
    const detail = { tags: patch.tags ? formatTags(patch.tags) : null, untag: patch.untag?.join(',') ?? null };
    await this.audit.record([{ ...target, outcome: 'ok', detail }]);
    return record;
  }

  /** A machine by name, in `team` or (when omitted) the one team that has it. */
  async get(name: string, team?: string): Promise<MachineRecord> {
    validName(name, team);
    return team ? getMachine(this.redis, team, name) : findMachine(this.redis, name);
  }
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RdcError('RDC_KEY_FILE', `cannot read key file ${path}: ${code ?? String(error)}`, { cause: error });
  }
}

function validName(name: string, team: string | undefined): void {
  parseInput(machineNameSchema, name, 'machine name');
  if (team !== undefined) parseInput(teamNameSchema, team, 'team name');
}
