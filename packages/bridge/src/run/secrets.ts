// What a task's command gets from the vault, opened in memory just before it runs:
//   secrets   each `--secret ENV=NAME` becomes environment variable ENV holding vault secret NAME
//   vaultData the task's sealed vaultData, as JSON, in RDC_VAULT_DATA
// and the values to mask in its output: every secret, and every string under vaultData's `credentials`.
// Values exist only here and in the agent's stdin; nothing in this module logs or throws one.
import { type JobData, MIN_MASKED_BYTES, open, RdcError } from '@rediacc/core';
import { getVaultEntries } from '@rediacc/queue';
import type { Redis } from 'ioredis';
import { VAULT_DATA_ENV } from '../agent/index.js';

export interface TaskSecrets {
  env: Record<string, string>;
  maskValues: string[];
}

export async function openTaskSecrets(redis: Redis, data: JobData, teamKey: string | undefined): Promise<TaskSecrets> {
  const refs = data.secrets ?? [];
  if (refs.length === 0 && data.vault === undefined) return { env: {}, maskValues: [] };
  if (teamKey === undefined) {
    throw new RdcError('RDC_TEAM_KEY', `this bridge holds no vault key for team "${data.team}"`);
  }
  const env: Record<string, string> = {};
  const maskValues: string[] = [];
  const records = await getVaultEntries(
    redis,
    data.team,
    refs.map((r) => r.name),
  );
  const missing = refs.filter((_, i) => records[i]?.kind !== 'secret').map((r) => r.name);
  if (missing.length > 0) {
    throw new RdcError(
      'RDC_VAULT_UNKNOWN',
      `team "${data.team}" has no vault secret ${missing.map((n) => JSON.stringify(n)).join(', ')} (deleted after the task was created?)`,
    );
  }
  refs.forEach((ref, i) => {
    const value = open(records[i]?.sealed ?? '', teamKey);
    env[ref.env] = value;
    maskValues.push(value);
  });
  if (data.vault !== undefined) {
    const json = open(data.vault, teamKey);
    env[VAULT_DATA_ENV] = json;
    maskValues.push(...credentialValues(JSON.parse(json)));
  }
  return { env, maskValues };
}

/** String leaves under any `credentials` key of vaultData (numbers too, as the command would print them). */
function credentialValues(value: unknown, inCredentials = false): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => credentialValues(v, inCredentials));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => credentialValues(v, inCredentials || k === 'credentials'));
  }
  if (!inCredentials) return [];
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
  return text.length >= MIN_MASKED_BYTES ? [text] : [];
}
