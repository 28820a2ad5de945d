// Teams and machines as the SDK exposes them.
import { readFile } from 'node:fs/promises';
import {
  checkPrivateKey,
  generateTeamKeyPair,
  type MachineInput,
  type MachinePatch,
  type MachineRecord,
  machineInputSchema,
  machineNameSchema,
  parseInput,
  RdcError,
  seal,
  type TeamRecord,
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
  removeMachine,
  updateMachine,
} from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { teamPublicKey } from './vault-api.js';

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

  /**
   * Registers a machine. Its SSH private key (`keyFile`: a path on this host, read now; or `privateKey`: the key
   * itself) is checked, sealed to the team's public key and stored in the team's vault as ssh-key/NAME: bridges
   * open it in memory, and the record keeps only the key's fingerprint.
   */
  async add(input: MachineInput): Promise<MachineRecord> {
    const { keyFile, privateKey, ...fields } = parseInput(machineInputSchema, input, 'machine');
    const keyText = privateKey ?? (await readKeyFile(keyFile ?? ''));
    const info = checkPrivateKey(keyText, keyFile === undefined ? 'privateKey' : `key file ${keyFile}`);
    const team = await getTeam(this.redis, fields.team);
    const now = Date.now();
    return addMachine(
      this.redis,
      { ...fields, addedAt: now, ...(info.fingerprint && { keyFingerprint: info.fingerprint }) },
      { kind: 'ssh-key', sealed: seal(keyText, teamPublicKey(team)), updatedAt: now },
    );
  }

  /** Removes a machine and its SSH key from the vault. */
  async remove(team: string, name: string): Promise<boolean> {
    parseInput(teamNameSchema, team, 'team name');
    parseInput(machineNameSchema, name, 'machine name');
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
    validName(name, team);
    const owner = team ?? (await findMachine(this.redis, name)).team;
    return updateMachine(this.redis, owner, name, patch);
  }

  /**
   * Re-pins a machine's host key after a deliberate change (reinstall, new host key): tasks then connect only
   * to a host presenting `hostKeyFingerprint`. `rediacc machine trust` reads the fingerprint from the machine.
   */
  async trust(name: string, hostKeyFingerprint: string, team?: string): Promise<MachineRecord> {
    validName(name, team);
    const owner = team ?? (await findMachine(this.redis, name)).team;
    return updateMachine(this.redis, owner, name, { hostKeyFingerprint });
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
