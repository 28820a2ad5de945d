// The remote agent: one small shell process per SSH connection that starts task runs on the machine and
// reports on them, so a task costs one fork+exec there instead of a whole sshd session (measured here: 0.97–1.16×
// a bare exec, with supervision). Each run gets its own process group (bash `set -m`, else `setsid`) and
// state files in a per-user run directory:
//   ID.pid  process group id        ID.out  stdout+stderr spool      ID.rc  exit status
//   ID.to   marker: the remote deadline fired                        ID.w   pid of the deadline watcher
// Runs outlive the agent and the bridge (their output goes to the spool, never to a pipe that could break), so
// another bridge can re-attach to a run or collect its result instead of running the command again.
//
// Protocol: the bridge writes one shell command per line to the agent's stdin, built only from the functions
// below and single-quoted arguments; the agent evaluates it. The agent writes one event per line:
//   H <version> <mode> <dir>   ready; mode m (set -m), s (setsid) or n (no process groups)
//   S <id> <pid>               run started
//   B <id>                     not started: a run of this id is on the machine already (started by another agent)
//   D <id> <code>              run exited with code (from the run's own EXIT trap)
//   P <id> <state> [<n>] [deadline]  probe reply: done <code> | running <pid> | dead <code> | absent; "deadline"
//                              when the remote deadline killed it
//   E <what>                   the agent cannot work (for example the run directory is not ours)

export const AGENT_VERSION = 2;

/** Single quotes inside a single-quoted shell word. */
function q(text: string): string {
  return `'"'"'${text}'"'"'`;
}

/** Where a user's run directories live: /dev/shm for root (tmpfs, and exempt from logind's RemoveIPC), else /tmp. */
// biome-ignore-start lint/suspicious/noTemplateCurlyInString: shell parameter expansions, evaluated on the machine
const AGENT = [
  'umask 077',
  "nl='\n'",
  'u=${LOGNAME:-${USER:-$(id -un)}}',
  'b=/tmp; if [ "$(id -u)" = 0 ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then b=/dev/shm; fi',
  // The boot id in the path: after a reboot a run is "absent", never a recycled pid that looks alive.
  'k=noboot; read k 2>/dev/null </proc/sys/kernel/random/boot_id',
  'd="$b/rdc-$u/$k"',
  'mkdir -p -m 700 "$d" 2>/dev/null',
  'if [ -L "$b/rdc-$u" ] || [ ! -O "$b/rdc-$u" ] || [ ! -O "$d" ]; then echo "E rundir $d is not owned by $u"; exit 3; fi',
  // Commands run in the user's login shell when it is a POSIX shell (it carries the EXIT trap), else sh.
  's=${SHELL:-/bin/sh}; case "${s##*/}" in bash|sh|dash|zsh|ksh|ksh93|mksh|ash|yash) ;; *) s=/bin/sh;; esac',
  'm=n; if [ -n "$BASH_VERSION" ]; then set -m; m=m; elif command -v setsid >/dev/null 2>&1; then m=s; fi',
  'exec 2>/dev/null',
  // r ID COMMAND DEADLINE GRACE [NAMES]: start a run. Its shell's EXIT trap records the code and reports D on fd 3
  // (the agent's stdout), which the command itself never sees. DEADLINE 0: no remote deadline.
  // The EXIT trap records the code of a run that ends by itself (including `exit N`). Killed by a signal, a run
  // must record nothing (bash would run the EXIT trap with a stale $?): the signal traps drop it and re-raise,
  // and the agent's `wait` then knows the signal. BASHPID guards against a forked child that is hit before it
  // resets its handlers. Traps are reset in the command's own processes. Killed inside eval, fd 3 is closed:
  // then only the probe finds the end.
  `J='trap ${q('c=$?; [ "${BASHPID:-$$}" = "$$" ] || exit $c; echo "$c" >"$RDC_RUN.rc"; echo "D $RDC_TASK_ID $c" 2>/dev/null >&3')} EXIT; ${['TERM', 'INT', 'HUP'].map((sig) => `trap ${q(`trap - EXIT ${sig}; kill -${sig} $$`)} ${sig}`).join('; ')}; eval "$1" 3>&-'`,
  // One run per id, whichever agent asks: ID.pid is created exclusively (noclobber) before anything starts, so a
  // second start of the same id (two bridges that both found no run) is refused with B, never run twice.
  'r() {',
  '  if ! ( set -C; : >"$d/$1.pid" ); then echo "B $1"; return 0; fi',
  '  if [ $m = s ]; then RDC_TASK_ID=$1 RDC_RUN="$d/$1" setsid "$s" -c "$J" "$s" "$2" 3>&1 </dev/null >"$d/$1.out" 2>&1 &',
  '  else RDC_TASK_ID=$1 RDC_RUN="$d/$1" "$s" -c "$J" "$s" "$2" 3>&1 </dev/null >"$d/$1.out" 2>&1 &',
  '  fi',
  '  p=$!; echo "$p" >"$d/$1.pid"; echo "S $1 $p"',
  // $5: names of the secrets exported for this run: gone before the deadline watcher forks, so only the run has them.
  '  [ -z "$5" ] || unset $5',
  '  if [ "$3" -gt 0 ]; then',
  '    ( sleep "$3"; [ -e "$d/$1.rc" ] || { : >"$d/$1.to"; kill -TERM -"$p" || kill -TERM "$p"; sleep "$4"; kill -KILL -"$p" || kill -KILL "$p"; } ) >/dev/null 2>&1 &',
  '    echo "$!" >"$d/$1.w"',
  '  fi',
  '}',
  // k ID GRACE: TERM the run's process group now, KILL it after GRACE seconds.
  'k() {',
  '  read p <"$d/$1.pid" || return 0',
  '  kill -TERM -"$p" || kill -TERM "$p"',
  '  ( sleep "$2"; kill -KILL -"$p" || kill -KILL "$p" ) >/dev/null 2>&1 &',
  '}',
  // p ID: probe a run. A dead child of this agent is reaped by `wait`, which yields its status (128+signal);
  // a run this agent did not start yields 127 there.
  'p() {',
  '  t=; if [ -e "$d/$1.to" ]; then t=" deadline"; fi',
  '  if read c <"$d/$1.rc"; then echo "P $1 done $c$t"',
  '  elif read q <"$d/$1.pid"; then',
  '    if kill -0 "$q"; then echo "P $1 running $q"; else wait "$q"; echo "P $1 dead $?$t"; fi',
  '  else echo "P $1 absent"; fi',
  '}',
  // c ID…: forget runs whose results are stored: stop their deadline watchers, remove their files.
  'c() {',
  '  for i in "$@"; do if read w <"$d/$i.w"; then kill -- -"$w" || kill "$w"; fi; done',
  '  for i in "$@"; do set -- "$@" "$d/$i.out" "$d/$i.pid" "$d/$i.rc" "$d/$i.to" "$d/$i.w"; shift; done',
  '  rm -f -- "$@"',
  '}',
  `echo "H ${AGENT_VERSION} $m $d"`,
  'while IFS= read -r l; do eval "$l"; done',
].join('\n');
// biome-ignore-end lint/suspicious/noTemplateCurlyInString: shell parameter expansions, evaluated on the machine

/**
 * The exec string that starts the agent: under bash when the machine has it (job control gives each run a
 * process group for the cost of a fork), else under sh. Written so any POSIX login shell can run it.
 */
export function agentCommand(): string {
  // Plain single quotes: newlines inside them are fine for the login shell (`$nl` exists only in the agent).
  const script = `'${AGENT.replace(/'/g, `'\\''`)}'`;
  return [
    `command -v bash >/dev/null 2>&1 && exec bash --noprofile --norc -c ${script} rdc-agent`,
    `exec /bin/sh -c ${script} rdc-agent`,
  ].join('; ');
}

/** The agent script itself, for running it without SSH (tests). */
export function agentScript(): string {
  return AGENT;
}

/**
 * A single-quoted shell word. Newlines become `'"$nl"'` (the agent defines nl), so every request stays on one
 * line: the agent reads line by line.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`).replace(/\n/g, `'"$nl"'`)}'`;
}

const RUN_ID = /^[A-Za-z0-9-]{1,128}$/;

function runId(id: string): string {
  if (!RUN_ID.test(id)) throw new Error(`run id ${JSON.stringify(id)} must be letters, digits and "-"`);
  return id;
}

function seconds(value: number): number {
  return Math.max(0, Math.ceil(value));
}

export interface RunRequest {
  id: string;
  command: string;
  /** Remote deadline in seconds after which the machine kills the run by itself; 0 for none. */
  deadlineSeconds: number;
  graceSeconds: number;
  /** Exported to the run only: values travel on the agent's stdin, never in a command line. */
  env?: Readonly<Record<string, string>>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The task's vaultData, as JSON, in the command's environment. */
export const VAULT_DATA_ENV = 'RDC_VAULT_DATA';

export function runLine(request: RunRequest): string {
  const env = Object.entries(request.env ?? {});
  for (const [name] of env) {
    if (!ENV_NAME.test(name) || (name.startsWith('RDC_') && name !== VAULT_DATA_ENV)) {
      throw new Error(`environment name ${name} is not allowed`);
    }
  }
  const run = `r ${runId(request.id)} ${shellQuote(request.command)} ${seconds(request.deadlineSeconds)} ${seconds(request.graceSeconds)}`;
  if (env.length === 0) return run;
  // Exported in the agent just for the fork that starts the run: `r` unsets them right after it (before the deadline
  // watcher forks), and the trailing unset covers a start that failed early.
  const set = env.map(([name, value]) => `${name}=${shellQuote(value)}`).join(' ');
  const names = env.map(([name]) => name).join(' ');
  return `export ${set}; ${run} '${names}'; unset ${names}`;
}

export function killLine(id: string, graceSeconds: number): string {
  return `k ${runId(id)} ${seconds(graceSeconds)}`;
}

export function probeLine(id: string): string {
  return `p ${runId(id)}`;
}

export function cleanLine(ids: readonly string[]): string {
  return `c ${ids.map(runId).join(' ')}`;
}
