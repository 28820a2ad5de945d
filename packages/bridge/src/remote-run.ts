// How a command runs on the machine: under a small POSIX-sh wrapper that starts it in its own session
// (setsid: pid = process group id, one extra exec and no extra fork) with the user's login shell, and
// notes the group id in a per-user run directory (tmpfs where there is one) so a second exec can kill
// the whole process tree on timeout or cancel. Closing a channel without a pty leaves the process running,
// and OpenSSH refuses `signal` requests for root before 9.8, hence the second exec.

// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, done on the machine
const RUN_DIR = '${XDG_RUNTIME_DIR:-/tmp}/rdc-run-${LOGNAME:-${USER:-u}}';

const WRAPPER = [
  `d=${RUN_DIR}`,
  '[ -d "$d" ] || mkdir -m 700 -p "$d"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, done on the machine
  'setsid "${SHELL:-/bin/sh}" -c "$2" & p=$!',
  'echo $p > "$d/$1.pgid"',
  'wait $p; r=$?',
  'rm -f "$d/$1.pgid"',
  'exit $r',
].join('; ');

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The exec string that runs `command` for task `taskId` under the wrapper. */
export function wrapCommand(taskId: string, command: string): string {
  return `exec /bin/sh -c ${shellQuote(WRAPPER)} rdc ${shellQuote(taskId)} ${shellQuote(command)}`;
}

/** The exec string that terminates the process group of task `taskId`: TERM, then KILL after `graceSeconds`. */
export function killCommand(taskId: string, graceSeconds: number): string {
  const script = [
    `f=${RUN_DIR}/"$1".pgid`,
    '[ -f "$f" ] || exit 0',
    'p=$(cat "$f")',
    'kill -TERM -"$p" 2>/dev/null',
    `(sleep ${graceSeconds}; kill -KILL -"$p" 2>/dev/null) >/dev/null 2>&1 </dev/null & exit 0`,
  ].join('; ');
  return `exec /bin/sh -c ${shellQuote(script)} rdc ${shellQuote(taskId)}`;
}
