// The registry of teams and machines, kept in Redis next to the queues. Plain functions over a
// connection; records are validated on the way in and on the way out.
import {
  type MachinePatch,
  type MachineRecord,
  machinePatchSchema,
  machineRecordSchema,
  matchesSelector,
  parseInput,
  RdcError,
  registryKeys,
  type Selector,
  sshKeyEntry,
  type TeamRecord,
  teamNameSchema,
  teamRecordSchema,
  type VaultRecord,
  vaultRecordSchema,
} from '@rediacc/core';
import type { Redis } from 'ioredis';
import { describeUser, readableTeams, whoAmI } from './access.js';
import { luaScript, runScript } from './lua-script.js';
import { sendCommands } from './redis-command.js';
import { vaultRecordOf } from './vault.js';

export async function createTeam(redis: Redis, name: string, publicKey?: string): Promise<TeamRecord> {
  const team = parseInput(teamRecordSchema, { name, publicKey, createdAt: Date.now() }, 'team');
  const created = await redis.hsetnx(registryKeys.teams, team.name, JSON.stringify(team));
  if (created === 0) throw new RdcError('RDC_TEAM_EXISTS', `team "${team.name}" already exists`);
  return team;
}

export async function listTeams(redis: Redis): Promise<TeamRecord[]> {
  const all = await redis.hgetall(registryKeys.teams);
  return Object.values(all)
    .map((json) => teamRecordSchema.parse(JSON.parse(json)))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function getTeam(redis: Redis, name: string): Promise<TeamRecord> {
  parseInput(teamNameSchema, name, 'team name');
  const json = await redis.hget(registryKeys.teams, name);
  if (json === null) throw new RdcError('RDC_TEAM_UNKNOWN', `team "${name}" does not exist`);
  return teamRecordSchema.parse(JSON.parse(json));
}

// Adds a machine and its sealed SSH key in one step (both keys share the team's hash tag): a machine that exists
// already keeps its record and its key.
const ADD_MACHINE = luaScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
return 1
`);

/** Registers a machine whose SSH key, sealed to the team key, goes into the team's vault as ssh-key/NAME. */
export async function addMachine(redis: Redis, record: MachineRecord, key: VaultRecord): Promise<MachineRecord> {
  const machine = parseInput(machineRecordSchema, record, 'machine');
  const sealedKey = parseInput(vaultRecordSchema, key, 'machine key');
  await getTeam(redis, machine.team);
  const created = await runScript(
    redis,
    ADD_MACHINE,
    [registryKeys.machines(machine.team), registryKeys.vault(machine.team)],
    [machine.name, JSON.stringify(machine), sshKeyEntry(machine.name), JSON.stringify(sealedKey)],
  );
  if (created === 0) {
    throw new RdcError('RDC_MACHINE_EXISTS', `machine "${machine.name}" already exists in team "${machine.team}"`);
  }
  return machine;
}

/** The machines of `team`, or (without one) of every team this connection may read. */
export async function listMachines(redis: Redis, team?: string): Promise<MachineRecord[]> {
  const teams = team
    ? [(await getTeam(redis, team)).name]
    : await readableTeams(
        redis,
        (await listTeams(redis)).map((t) => t.name),
      );
  const hashes = await Promise.all(teams.map((t) => redis.hgetall(registryKeys.machines(t))));
  return hashes
    .flatMap((hash) => Object.values(hash).map((json) => machineRecordSchema.parse(JSON.parse(json))))
    .sort((a, b) => a.team.localeCompare(b.team) || a.name.localeCompare(b.name));
}

/** The machine `name` of `team`; a missing team or machine gets its own clear error. */
export async function getMachine(redis: Redis, team: string, name: string): Promise<MachineRecord> {
  return machineOf(redis, team, name, await redis.hget(registryKeys.machines(team), name));
}

/**
 * The record `json` stored for machine `name` of `team`; none stored: RDC_TEAM_UNKNOWN if the team is missing too
 * (one more read, on this path only), else RDC_MACHINE_UNKNOWN.
 */
async function machineOf(
  redis: Redis,
  team: string,
  name: string,
  json: string | null | undefined,
): Promise<MachineRecord> {
  if (json === null || json === undefined) {
    await getTeam(redis, team);
    throw new RdcError('RDC_MACHINE_UNKNOWN', `machine "${name}" is not registered in team "${team}"`);
  }
  return machineRecordSchema.parse(JSON.parse(json));
}

/**
 * A machine's record and its SSH key's vault entry (undefined when the vault holds none), in one round trip: what a
 * bridge reads before it connects to the machine.
 */
export async function getMachineWithKey(
  redis: Redis,
  team: string,
  name: string,
): Promise<{ machine: MachineRecord; sshKey: VaultRecord | undefined }> {
  const entry = sshKeyEntry(name);
  // Sent together (sendCommands: no ioredis pipeline built on a bridge's coalescing connection).
  const replies = await sendCommands(redis, [
    ['hget', registryKeys.machines(team), name],
    ['hget', registryKeys.vault(team), entry],
  ]);
  for (const [error] of replies) if (error) throw error;
  const [json, key] = replies.map(([, value]) => value as string | null);
  const machine = await machineOf(redis, team, name, json);
  return { machine, sshKey: key === null || key === undefined ? undefined : vaultRecordOf(team, entry, key) };
}

/**
 * The machine `name` in the one team that has it, among the teams this connection may read (an operator of one
 * team resolves names in that team only). Unknown, or hidden in teams it may not read: RDC_MACHINE_UNKNOWN naming
 * both; in two readable teams: RDC_MACHINE_AMBIGUOUS naming them.
 */
export async function findMachine(redis: Redis, name: string): Promise<MachineRecord> {
  const teams = (await listTeams(redis)).map((t) => t.name);
  const readable = await readableTeams(redis, teams);
  const found = await Promise.all(readable.map((t) => redis.hget(registryKeys.machines(t), name)));
  const owners = readable.filter((_, i) => found[i] !== null);
  if (owners.length > 1) {
    throw new RdcError(
      'RDC_MACHINE_AMBIGUOUS',
      `machine "${name}" exists in teams ${owners.join(', ')}; name one with --team (SDK: the team argument)`,
    );
  }
  const json = found.find((j): j is string => j !== null);
  if (json !== undefined) return machineRecordSchema.parse(JSON.parse(json));
  const hidden = teams.filter((t) => !readable.includes(t));
  const searched = readable.length > 0 ? `team ${readable.join(', ')}` : 'any team this user may read';
  const unseen =
    hidden.length > 0
      ? `; ${describeUser(await whoAmI(redis))} may not read team ${hidden.join(', ')}, where it may be`
      : '';
  throw new RdcError('RDC_MACHINE_UNKNOWN', `machine "${name}" is not registered in ${searched}${unseen}`);
}

/** Removes a machine; its pending tasks fail with RDC_MACHINE_UNKNOWN when a bridge claims them. */
export async function removeMachine(redis: Redis, team: string, name: string): Promise<boolean> {
  const replies = await redis
    .multi()
    .hdel(registryKeys.machines(team), name)
    .hdel(registryKeys.vault(team), sshKeyEntry(name))
    .hdel(registryKeys.machineStatus(team), name)
    .exec();
  return replies?.[0]?.[1] === 1;
}

// Replaces a hash field only if it still holds what the caller read: read-modify-write without WATCH,
// which would be unsafe on a connection other callers share.
const COMPARE_AND_SET = luaScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`);

/** Changes a registered machine (its maxConcurrent, null removes it; its pinned host key) and returns the new record. */
export async function updateMachine(
  redis: Redis,
  team: string,
  name: string,
  input: MachinePatch,
): Promise<MachineRecord> {
  const patch = parseInput(machinePatchSchema, input, 'machine change');
  for (let tries = 0; tries < 10; tries++) {
    const json = await redis.hget(registryKeys.machines(team), name);
    if (json === null) await getMachine(redis, team, name); // throws the clear unknown-team/machine error
    const current = machineRecordSchema.parse(JSON.parse(json!));
    const { maxConcurrent: _, ...rest } = current;
    const limited =
      patch.maxConcurrent === undefined
        ? current
        : patch.maxConcurrent === null
          ? rest
          : { ...rest, maxConcurrent: patch.maxConcurrent };
    const pinned =
      patch.hostKeyFingerprint === undefined ? limited : { ...limited, hostKeyFingerprint: patch.hostKeyFingerprint };
    const next: MachineRecord = parseInput(machineRecordSchema, retagged(pinned, patch), 'machine');
    const done = await runScript(
      redis,
      COMPARE_AND_SET,
      [registryKeys.machines(team)],
      [name, json!, JSON.stringify(next)],
    );
    if (done === 1) return next;
  }
  throw new RdcError('RDC_INTERNAL', `machine "${name}" kept changing while updating it; try again`);
}

/** The record with the patch's tags set and its `untag` keys removed; without either, unchanged. */
function retagged(record: MachineRecord, patch: MachinePatch): MachineRecord {
  if (patch.tags === undefined && patch.untag === undefined) return record;
  const tags = { ...record.tags, ...patch.tags };
  for (const key of patch.untag ?? []) delete tags[key];
  const { tags: _, ...rest } = record;
  return Object.keys(tags).length > 0 ? { ...rest, tags } : rest;
}

/** The machines (of `team`, or of every readable team) whose tags carry every pair of `selector`. */
export async function selectMachines(redis: Redis, selector: Selector, team?: string): Promise<MachineRecord[]> {
  return (await listMachines(redis, team)).filter((m) => matchesSelector(m.tags, selector));
}

// Key rotation's commit: the new record and the new sealed key, only if the record is still the one rotated from.
const REPLACE_KEY = luaScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
return 1
`);

/**
 * Stores a machine's new SSH key (sealed) and its record in one step, if the record still equals `current`;
 * returns false when the machine changed (or was removed) meanwhile, and then changes nothing.
 */
export async function replaceMachineKey(
  redis: Redis,
  current: MachineRecord,
  next: MachineRecord,
  key: VaultRecord,
): Promise<boolean> {
  const json = await redis.hget(registryKeys.machines(current.team), current.name);
  if (json === null || JSON.stringify(machineRecordSchema.parse(JSON.parse(json))) !== JSON.stringify(current)) {
    return false;
  }
  const done = await runScript(
    redis,
    REPLACE_KEY,
    [registryKeys.machines(current.team), registryKeys.vault(current.team)],
    [
      current.name,
      json,
      JSON.stringify(parseInput(machineRecordSchema, next, 'machine')),
      sshKeyEntry(current.name),
      JSON.stringify(parseInput(vaultRecordSchema, key, 'machine key')),
    ],
  );
  return done === 1;
}
