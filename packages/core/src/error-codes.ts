// The one list of error codes. Each code has a stable key (kept across processes in job failure reasons)
// and a fix: what the user should do about it. docs/errors.md is kept in step by a test.

export const ERROR_CODES = {
  RDC_INVALID_INPUT: { exit: 2, fix: 'Correct the value named in the message and try again.' },
  RDC_CONFIG_INVALID: { exit: 2, fix: 'Correct the environment variable or option named in the message.' },
  RDC_TEAM_UNKNOWN: { exit: 1, fix: 'Create it with `rediacc team create NAME` or check `rediacc team list`.' },
  RDC_TEAM_EXISTS: { exit: 1, fix: 'Pick another name; `rediacc team list` shows the existing teams.' },
  RDC_MACHINE_UNKNOWN: {
    exit: 1,
    fix: 'Register it with `rediacc machine add NAME --team TEAM --host HOST --key-file PATH` or check `rediacc machine list`.',
  },
  RDC_MACHINE_AMBIGUOUS: { exit: 1, fix: 'Say which team with `--team TEAM`.' },
  RDC_NO_MACHINES: {
    exit: 1,
    fix: 'Tag the machines the batch or pool should use with `rediacc machine tag NAME key=value`, or check the selector against `rediacc machine list`.',
  },
  RDC_BATCH_UNKNOWN: {
    exit: 1,
    fix: 'Check the batch id that `create task` printed; batches are kept 8 days, like their tasks.',
  },
  RDC_MACHINE_EXISTS: { exit: 1, fix: 'Pick another name, or remove the existing machine first.' },
  RDC_TASK_UNKNOWN: { exit: 1, fix: 'Check the id with `rediacc list queue`; finished tasks are kept for 7 days.' },
  RDC_TASK_ID_CONFLICT: {
    exit: 1,
    fix: 'A taskId names one task: reuse it only to retry the same create, or omit it to get a new id.',
  },
  RDC_TASK_NOT_RETRYABLE: {
    exit: 1,
    fix: 'Only a FAILED task is retried, never one that was cancelled or whose run was lost; create the task again if it should still run.',
  },
  RDC_REDIS_UNAVAILABLE: {
    exit: 1,
    fix: 'Check that redis-server runs at the host and port named and that REDIS_URL is right (`rediacc up` starts a local one).',
  },
  RDC_REDIS_AUTH: {
    exit: 1,
    fix: "Use the REDIS_URL with the server's password, or the URL of an ACL user from `rediacc acl apply`; for the stack `rediacc up` started, unset REDIS_URL: commands read its URL from ~/.rediacc/up/stack.json.",
  },
  RDC_STACK_IN_USE: {
    exit: 1,
    fix: 'Stop the process named in the message (`kill PID`) and run `rediacc up` again, or start this stack with another RDC_HOME.',
  },
  RDC_KEY_FILE_EXISTS: {
    exit: 1,
    fix: 'Vault keys are never overwritten: move the old key file away if it belongs to a team that no longer exists, or pick another team name.',
  },
  RDC_ACCESS_DENIED: {
    exit: 1,
    fix: 'Use a REDIS_URL whose user has this role in this team (`rediacc acl apply` prints one per team and role), or ask an admin to grant it.',
  },
  RDC_KEY_FILE: { exit: 1, fix: 'Check the key file path and that it is a readable private key (mode 0600).' },
  RDC_TEAM_KEY: {
    exit: 1,
    fix: "Copy the key file `rediacc team create` wrote (~/.rediacc/keys/TEAM.key) to the bridge host's ~/.rediacc/keys, or point `bridge start --keys-dir` at it.",
  },
  RDC_VAULT_UNKNOWN: {
    exit: 1,
    fix: 'Store it with `rediacc vault set --team TEAM NAME`, or check the name with `rediacc vault list --team TEAM`.',
  },
  RDC_KEY_ROTATION: {
    exit: 1,
    fix: 'The old key still works and the vault is unchanged; fix what the message names (authorized_keys file, login with the new key) and run `rediacc machine rotate-key` again.',
  },
  RDC_HOST_KEY_MISMATCH: {
    exit: 1,
    fix: 'If the machine was reinstalled on purpose, re-pin its key with `rediacc machine trust NAME`; otherwise investigate: someone may be intercepting the connection.',
  },
  RDC_HOST_KEY_UNKNOWN: {
    exit: 2,
    fix: 'Pass `--host-key-fingerprint SHA256:…` (from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the machine) or `--accept-new-host-key`.',
  },
  RDC_SSH_CONNECT: { exit: 1, fix: "Check the machine's host, port and that sshd runs there." },
  RDC_SSH_AUTH: { exit: 1, fix: "Check that the machine's authorized_keys holds the public half of its key file." },
  RDC_SSH_COMMAND: {
    exit: 1,
    fix: 'Check the SSH user\'s login shell on the machine (a POSIX sh, not nologin) and that no ForceCommand or command="…" key option replaces commands.',
  },
  RDC_COMMAND_FAILED: { exit: 1, fix: "Read the task's output and error with `rediacc inspect queue ID`." },
  RDC_TIMEOUT: { exit: 1, fix: 'Raise the task timeout or make the command finish sooner.' },
  RDC_CANCELLED: { exit: 1, fix: 'Create the task again if it should still run.' },
  RDC_AGENT: {
    exit: 1,
    fix: 'Check that the machine has /bin/sh and a writable /tmp (or /dev/shm for root); the message names what failed.',
  },
  RDC_RUN_LOST: {
    exit: 1,
    fix: 'The machine lost the run (rebooted, or its run directory was removed). Check whether the command took effect, then create the task again if it should still run.',
  },
  RDC_BRIDGE_LOST: {
    exit: 1,
    fix: "Check the bridges' logs and load (a bridge that is SIGSTOPped, swapping or starved of CPU loses its locks); raise the bridges' lockDurationMs or maxStalledCount if they are merely slow.",
  },
  RDC_BRIDGE_SHUTDOWN: {
    exit: 1,
    fix: 'The bridge was stopped with --on-shutdown kill while the command ran; the task is retried if it has retries left. Use the default hand-back to let another bridge continue the run instead.',
  },
  RDC_JOB_DATA_INVALID: {
    exit: 1,
    fix: 'The queue holds a job this version cannot read; create tasks with the rediacc SDK or CLI.',
  },
  RDC_TOKEN_UNKNOWN: {
    exit: 1,
    fix: 'Check the id with `rediacc dashboard token list`; a revoked token is gone for good, create a new one.',
  },
  RDC_WEBHOOK_UNKNOWN: {
    exit: 1,
    fix: 'Check the id with `rediacc alert webhook list`; a removed webhook is gone for good, add it again.',
  },
  RDC_ALERT_RULE_UNKNOWN: {
    exit: 1,
    fix: 'Check the id with `rediacc alert rule list`; a removed rule is gone for good, add it again.',
  },
  RDC_UNAUTHENTICATED: {
    exit: 1,
    fix: 'Log in with a token from `rediacc dashboard token create`, or send it as `Authorization: Bearer TOKEN`; expired or revoked tokens need a new one.',
  },
  RDC_FORBIDDEN: {
    exit: 1,
    fix: 'Use a token of a role and team that may do this (`rediacc dashboard token create --role operator --team TEAM`), or ask an admin.',
  },
  RDC_CSRF: {
    exit: 1,
    fix: 'Reload the page and submit the form again; scripts should send `Authorization: Bearer TOKEN` instead of the session cookie.',
  },
  RDC_STREAM_LIMIT: {
    exit: 1,
    fix: 'Close console tabs you no longer need (each page holds one live stream), or use another token for more screens.',
  },
  RDC_SCHEDULE_UNKNOWN: {
    exit: 1,
    fix: 'Check the name with `rediacc schedule list` (add --team TEAM when the name is in several teams).',
  },
  RDC_SCHEDULE_EXISTS: {
    exit: 1,
    fix: 'Pick another name, or remove the existing schedule first with `rediacc schedule remove NAME`.',
  },
  RDC_TASK_FILE_INVALID: {
    exit: 2,
    fix: 'Correct each line named in the message (one JSON task spec per line, the fields of `create task`) and run the command again; nothing was enqueued.',
  },
  RDC_LOGIN_THROTTLED: {
    exit: 1,
    fix: 'Wait the seconds the Retry-After header gives, then log in with a valid token (`rediacc dashboard token create`).',
  },
  RDC_MISSING_DEPENDENCY: { exit: 1, fix: 'Install the program named in the message (as root: apt-get install -y …).' },
  RDC_INTERNAL: { exit: 1, fix: 'This is a bug in rediacc; please report it with the log lines around it.' },
} as const satisfies Record<string, { exit: 1 | 2; fix: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}
