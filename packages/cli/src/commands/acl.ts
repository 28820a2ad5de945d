// rediacc acl apply [--team T,…] [--new-passwords] | acl show [--team T,…]: Redis ACL users per team and role.
import { teamNameSchema } from '@rediacc/core';
import type { Command } from 'commander';
import { type Handler, runCommand } from '../context.js';
import { listOf } from '../options.js';
import type { OutputOptions } from '../output.js';
import { done, json, line, note, type Printed, table } from '../result.js';

interface AclOptions extends OutputOptions {
  team?: string[];
  newPasswords?: boolean;
}

export function registerAcl(program: Command): void {
  const acl = program.command('acl').description('Redis ACL users per team and role (admin, operator, viewer, bridge)');
  acl
    .command('apply')
    .option('--team <teams>', 'only these teams, comma-separated (default: every team)', listOf(teamNameSchema))
    .option('--new-passwords', 'issue new passwords to users that exist (their old URLs stop working)')
    .option('--json', 'machine-readable output (an array of {team, role, user, url})')
    .description(
      'create or update the ACL users of each team and role and print their REDIS_URLs; existing users keep their passwords',
    )
    .action((options: AclOptions) => runCommand(aclApply, options));
  acl
    .command('show')
    .option('--team <teams>', 'only these teams, comma-separated (default: every team)', listOf(teamNameSchema))
    .option('--json', 'machine-readable output (an array of {team, role, user, applied, rules})')
    .description('print the ACL rules of every team and role: as the server holds them, or as acl apply would set them')
    .action((options: AclOptions) => runCommand(aclShow, options));
}

/** Creates or updates the ACL users and prints their URLs, with notes on what the reader must do next. */
export const aclApply: Handler<AclOptions> = async (options, client) => {
  const result = await client.acl.apply({
    ...(options.team !== undefined && { teams: options.team }),
    newPasswords: options.newPasswords === true,
  });
  const rows = result.users.map(({ team, role, user, url, newPassword }) => ({ team, role, user, url, newPassword }));
  const printed: Printed[] = [
    options.json
      ? json(rows)
      : table(
          rows.map((r) => ({
            ...r,
            url: r.newPassword || r.user === result.appliedBy ? r.url : `${r.url} (password unchanged)`,
          })),
          ['team', 'role', 'user', 'url'],
        ),
  ];
  const notes: string[] = [];
  if (result.users.some((u) => u.newPassword)) {
    notes.push('The URLs above carry passwords: store them as secrets (Redis keeps only their hashes).');
  }
  const kept = result.users.filter((u) => !u.newPassword && u.user !== result.appliedBy).length;
  if (kept > 0) {
    notes.push(
      `${kept} existing user(s) kept their passwords (connected bridges keep working); --new-passwords issues new ones.`,
    );
  }
  if (!result.saved) {
    notes.push(
      'These ACL users live in memory only (the server has no aclfile): set `aclfile` in redis.conf and run ACL SAVE, or run CONFIG REWRITE, or run acl apply again after a restart.',
    );
  }
  if (result.appliedBy === 'default') {
    notes.push(
      'The default user still has full access. To lock it down, switch REDIS_URL to the rdc-admin URL above, then run: redis-cli -u "$REDIS_URL" ACL SETUSER default off',
    );
  }
  printed.push(...notes.map((n) => note(`note: ${n}`)));
  if (result.auditError) printed.push(note(`warning: the ACL changes are not in the audit log: ${result.auditError}`));
  return done(...printed);
};

export const aclShow: Handler<AclOptions> = async (options, client) => {
  const entries = await client.acl.show(options.team === undefined ? {} : { teams: options.team });
  if (options.json) return done(json(entries));
  return done(
    ...entries.map((e) =>
      line(
        `${e.user} (${e.role} of ${e.team === '*' ? 'every team' : `team ${e.team}`})${e.applied ? '' : ' [not applied yet]'}\n  ${e.rules}`,
      ),
    ),
  );
};
