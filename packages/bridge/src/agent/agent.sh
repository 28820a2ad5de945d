#!/bin/sh
# The rediacc remote agent: one small shell process per SSH connection that starts task runs on the machine and
# reports on them, so a task costs one fork+exec there instead of a whole sshd session. Each run gets its own
# process group (bash `set -m`, else `setsid`) and state files in a per-user run directory:
#   ID.pid  process group id        ID.out  stdout+stderr spool      ID.rc  exit status
#   ID.to   marker: the remote deadline fired                        ID.w   pid of the deadline watcher
# Runs outlive the agent and the bridge (their output goes to the spool, never to a pipe that could break), so
# another bridge can re-attach to a run or collect its result instead of running the command again.
#
# Protocol (docs/architecture.md, "The agent protocol"): the bridge writes one shell command per line to the
# agent's stdin, built only from the functions below (r, k, p, c, C, o) and single-quoted arguments; the agent
# evaluates it. The agent writes one event per line on its stdout:
#   H <version> <mode> <dir>   ready; mode m (set -m), s (setsid) or n (no process groups)
#   S <id> <pid>               run started
#   B <id>                     not started: a run of this id is on the machine already (started by another agent)
#   D <id> <code> [<n>]        run exited with code (from the run's own EXIT trap); with n, n bytes of its
#                              output follow the line (its whole output, when small: see rdc_run_wrapper)
#   P <id> <state> [<n>] [deadline]  probe reply: done <code> | running <pid> | dead <code> | absent; "deadline"
#                              when the remote deadline killed it
#   E <what>                   the agent cannot work (for example the run directory is not ours)
# and output bytes, only when asked (`o`), as frames on its stderr: see `o` below. The bridge reads output over
# SFTP when the machine's sshd offers it; `o` is the way that needs nothing but this exec channel.
#
# The bridge sends this file (whole-line comments stripped) as the argument of `sh -c` or `bash -c`, with a
# fresh random token as $1; it is never written to the machine. Shell startup files (.bashrc, ~/.ssh/rc) may
# print anything before the agent starts, even lines that look like events: the bridge takes events only after
# the line "rdc-agent <token>" on stdout, and frames only after "rdc-agent-frames <token>" on stderr.
#
# Names: the functions r, k, p, c, C, o and the variable nl are the protocol; everything else the agent keeps is
# named rdc_* so that no environment variable a task exports (the bridge refuses RDC_/rdc_ names) can change it.

umask 077
rdc_token=${1:-}
# A newline, for requests that carry one inside a quoted word ('...'"$nl"'...').
# shellcheck disable=SC2034 # used by the requests the agent evaluates
nl='
'
rdc_user=${LOGNAME:-${USER:-$(id -un)}}
# Where a user's run directories live: /dev/shm for root (tmpfs, and exempt from logind's RemoveIPC), else /tmp.
rdc_base=/tmp
# bash knows its uid (EUID cannot be set from outside); sh asks id. Each fork here delays the agent's hello.
# shellcheck disable=SC3028 # EUID is read only under bash
if [ -n "$BASH_VERSION" ]; then rdc_uid=$EUID; else rdc_uid=$(id -u); fi
if [ "$rdc_uid" = 0 ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then rdc_base=/dev/shm; fi
# The boot id in the path: after a reboot a run is "absent", never a recycled pid that looks alive.
rdc_boot=noboot
read -r rdc_boot 2>/dev/null </proc/sys/kernel/random/boot_id
rdc_dir="$rdc_base/rdc-$rdc_user/$rdc_boot"
# shellcheck disable=SC2174 # the parent is made 700 by the umask
[ -d "$rdc_dir" ] || mkdir -p -m 700 "$rdc_dir" 2>/dev/null
if [ -L "$rdc_base/rdc-$rdc_user" ] || [ ! -O "$rdc_base/rdc-$rdc_user" ] || [ ! -O "$rdc_dir" ]; then
  printf '\nrdc-agent %s\nE rundir %s is not owned by %s\n' "$rdc_token" "$rdc_dir" "$rdc_user"
  exit 3
fi

# Commands run in the user's login shell when it is a POSIX shell (it carries the EXIT trap), else sh.
rdc_shell=${SHELL:-/bin/sh}
case "${rdc_shell##*/}" in
  bash | sh | dash | zsh | ksh | ksh93 | mksh | ash | yash) ;;
  *) rdc_shell=/bin/sh ;;
esac

# How runs get their own process group: m (bash job control), s (setsid), n (none: kill walks the process
# tree instead). RDC_AGENT_MODE asks for one (tests); m needs bash (dash has job control only on a tty).
rdc_mode=n
if [ -n "$BASH_VERSION" ]; then rdc_mode=m; elif command -v setsid >/dev/null 2>&1; then rdc_mode=s; fi
case "${RDC_AGENT_MODE:-}" in
  m) [ -z "$BASH_VERSION" ] || rdc_mode=m ;;
  s) if command -v setsid >/dev/null 2>&1; then rdc_mode=s; fi ;;
  n) rdc_mode=n ;;
esac
if [ "$rdc_mode" = m ]; then set -m; fi

# The channel's stderr stays open on fd 4 for output frames (read_output); everything else the agent runs
# writes its errors nowhere.
exec 4>&2 2>/dev/null

# The shell script each run executes (as `$rdc_shell -c "$rdc_run_wrapper" "$rdc_shell" COMMAND`), with
# RDC_TASK_ID and RDC_RUN (the run's file prefix) in its environment and fd 3 on the agent's stdout.
# The EXIT trap records the code of a run that ends by itself (including `exit N`) and reports D on fd 3, which
# the command itself never sees. Killed by a signal, a run must record nothing (bash would run the EXIT trap with
# a stale $?): the signal traps drop it and re-raise, and the agent's `wait` then knows the signal. BASHPID
# guards against a forked child that is hit before it resets its handlers. Traps are reset in the command's own
# processes. Killed inside eval, fd 3 is closed: then only the probe finds the end.
#
# A small output travels with D (saving the bridge's read of the spool): "D <id> <code> <n>" and then exactly n
# bytes, the spool as it was when the run's shell exited; "D <id> <code>" alone means it was larger, read the
# spool. An empty spool costs only builtins; a small one is cut (head, or dd), measured (wc) and framed into
# ID.f, which one `cat` writes to fd 3 in a single write(2): runs end concurrently on the same pipe, and a write
# of at most PIPE_BUF (4096 on Linux, 512 by POSIX) bytes is never interleaved with another. rdc_small leaves
# room in those 4096 bytes for the line (a run id is at most 128 characters). `c` removes ID.s and ID.f.
rdc_small=3900
# shellcheck disable=SC2016 # expanded by the run's shell, not here
rdc_run_wrapper='trap '\''c=$?; [ "${BASHPID:-$$}" = "$$" ] || exit $c; echo "$c" >"$RDC_RUN.rc"; {
if [ ! -s "$RDC_RUN.out" ]; then echo "D $RDC_TASK_ID $c 0"; else
{ head -c '$((rdc_small + 1))' || dd bs=1 count='$((rdc_small + 1))'; } <"$RDC_RUN.out" >"$RDC_RUN.s"
rdc_n=$(($(wc -c <"$RDC_RUN.s")))
if [ "$rdc_n" -gt '$rdc_small' ]; then echo "D $RDC_TASK_ID $c"; else
{ echo "D $RDC_TASK_ID $c $rdc_n"; cat "$RDC_RUN.s"; } >"$RDC_RUN.f" && cat "$RDC_RUN.f"; fi; fi; } 2>/dev/null >&3'\'' EXIT
trap '\''trap - EXIT TERM; kill -TERM $$'\'' TERM
trap '\''trap - EXIT INT; kill -INT $$'\'' INT
trap '\''trap - EXIT HUP; kill -HUP $$'\'' HUP
eval "$1" 3>&-'

# rdc_kill_tree SIGNAL PID: signals PID and every process below it (mode n, where a run has no group of its
# own). The whole tree is listed before anything is signalled: a killed parent's children move to init.
rdc_kill_tree() {
  rdc_tree=" $2 "
  rdc_grew=1
  while [ -n "$rdc_grew" ]; do
    rdc_grew=
    rdc_table=$(ps -A -o pid= -o ppid=) || break
    while read -r rdc_child rdc_parent; do
      case "$rdc_tree" in
        *" $rdc_child "*) ;;
        *" $rdc_parent "*) rdc_tree="$rdc_tree$rdc_child " rdc_grew=1 ;;
      esac
    done <<EOF
$rdc_table
EOF
  done
  # shellcheck disable=SC2086 # a list of pids
  kill -"$1" $rdc_tree
}

# rdc_signal_run SIGNAL PID: the run's process group, or (no group) its process tree.
rdc_signal_run() {
  kill -"$1" -"$2" || rdc_kill_tree "$1" "$2"
}

# r ID COMMAND DEADLINE GRACE [NAMES]: start a run. DEADLINE 0: no remote deadline. NAMES: the environment
# variables exported for this run only (secrets): unset before the deadline watcher forks, so only the run has them.
r() {
  # One run per id, whichever agent asks: ID.pid is created exclusively (noclobber) before anything starts, so a
  # second start of the same id (two bridges that both found no run) is refused with B, never run twice. No
  # subshell: `command` keeps a failed redirection of the special builtin `:` from ending the agent.
  set -C
  if command : >"$rdc_dir/$1.pid"; then rdc_new=1; else rdc_new=; fi
  set +C
  if [ -z "$rdc_new" ]; then
    # shellcheck disable=SC2086 # a list of names
    [ -z "$5" ] || unset $5
    echo "B $1"
    return 0
  fi
  if [ "$rdc_mode" = s ]; then
    RDC_TASK_ID=$1 RDC_RUN="$rdc_dir/$1" setsid "$rdc_shell" -c "$rdc_run_wrapper" "$rdc_shell" "$2" \
      3>&1 4>&- </dev/null >"$rdc_dir/$1.out" 2>&1 &
  else
    RDC_TASK_ID=$1 RDC_RUN="$rdc_dir/$1" "$rdc_shell" -c "$rdc_run_wrapper" "$rdc_shell" "$2" \
      3>&1 4>&- </dev/null >"$rdc_dir/$1.out" 2>&1 &
  fi
  rdc_pid=$!
  echo "$rdc_pid" >"$rdc_dir/$1.pid"
  echo "S $1 $rdc_pid"
  # shellcheck disable=SC2086 # a list of names
  [ -z "$5" ] || unset $5
  if [ "$3" -gt 0 ]; then
    (
      sleep "$3"
      [ -e "$rdc_dir/$1.rc" ] || {
        : >"$rdc_dir/$1.to"
        rdc_signal_run TERM "$rdc_pid"
        sleep "$4"
        rdc_signal_run KILL "$rdc_pid"
      }
    ) >/dev/null 2>&1 4>&- &
    echo "$!" >"$rdc_dir/$1.w"
  fi
}

# k ID GRACE: TERM the run's process group now, KILL it after GRACE seconds.
k() {
  read -r rdc_pid <"$rdc_dir/$1.pid" || return 0
  rdc_signal_run TERM "$rdc_pid"
  (
    sleep "$2"
    rdc_signal_run KILL "$rdc_pid"
  ) >/dev/null 2>&1 4>&- &
}

# p ID: probe a run. A dead child of this agent is reaped by `wait`, which yields its status (128+signal);
# a run this agent did not start yields 127 there.
p() {
  rdc_deadline=
  if [ -e "$rdc_dir/$1.to" ]; then rdc_deadline=" deadline"; fi
  if read -r rdc_code <"$rdc_dir/$1.rc"; then
    echo "P $1 done $rdc_code$rdc_deadline"
  elif read -r rdc_pid <"$rdc_dir/$1.pid"; then
    if kill -0 "$rdc_pid"; then
      echo "P $1 running $rdc_pid"
    else
      wait "$rdc_pid"
      echo "P $1 dead $?$rdc_deadline"
    fi
  else
    echo "P $1 absent"
  fi
}

# c ID…: forget runs whose results are stored: stop their deadline watchers, remove their files; the next request
# is read once they are gone. C ID…: the same, the files removed in the background (the bridge's batched removals:
# a start never waits behind an rm).
c() { rdc_forget '' "$@"; }
C() { rdc_forget 1 "$@"; }

rdc_forget() {
  rdc_bg=$1
  shift
  rdc_files=
  for rdc_id in "$@"; do
    if read -r rdc_watcher <"$rdc_dir/$rdc_id.w"; then kill -- -"$rdc_watcher" || kill "$rdc_watcher"; fi
    rdc_files="$rdc_files $rdc_id.out $rdc_id.pid $rdc_id.rc $rdc_id.to $rdc_id.w $rdc_id.s $rdc_id.f"
  done
  # One fork, which becomes the rm (its cd and set -f stay there), for every file of every run. The list is one
  # string split on spaces (ids are letters, digits and "-"), not "$@" grown run by run, which copies the whole list
  # each time (a quarter of a second of the agent's CPU for 200 runs).
  if [ -n "$rdc_bg" ]; then
    (cd "$rdc_dir" && rdc_remove) >/dev/null 2>&1 4>&- &
  else
    (cd "$rdc_dir" && rdc_remove)
  fi
}

# rdc_remove: removes the files listed in rdc_files (from the run directory), as the shell it runs in.
rdc_remove() {
  set -f
  IFS=' '
  # shellcheck disable=SC2086 # split on spaces only, no globbing
  exec rm -f -- $rdc_files
}

# o ID OFFSET MAX: up to MAX bytes of the run's output from byte OFFSET on, as one frame on fd 4 (the channel's
# stderr, where only frames go once the marker below is out): a line "<id> <size> <n>", then exactly n bytes.
# size is the spool's size when read (0 when there is none). The slice is cut into a file first and measured,
# so n is what follows whatever the spool does meanwhile. The offset is the bridge's: the agent keeps none.
o() {
  rdc_slice="$rdc_dir/.o$$"
  rdc_size=0
  if [ -e "$rdc_dir/$1.out" ]; then rdc_size=$(($(wc -c <"$rdc_dir/$1.out"))); fi
  if [ "$2" -lt "$rdc_size" ]; then
    # head -c is not POSIX; where it is missing, dd (one byte per read) cuts the same slice.
    tail -c +"$(($2 + 1))" "$rdc_dir/$1.out" | { head -c "$3" || dd bs=1 count="$3"; } >"$rdc_slice"
  else
    : >"$rdc_slice"
  fi
  printf '%s %s %s\n' "$1" "$rdc_size" "$(($(wc -c <"$rdc_slice")))" >&4
  cat "$rdc_slice" >&4
  rm -f "$rdc_slice"
}

# Ready. Anything a shell startup file printed came before these markers (each on a line of its own, whatever
# was printed without a newline before it): frames follow the one on stderr, events the one on stdout.
printf '\nrdc-agent-frames %s\n' "$rdc_token" >&4
printf '\nrdc-agent %s\nH 3 %s %s\n' "$rdc_token" "$rdc_mode" "$rdc_dir"
while IFS= read -r rdc_line; do eval "$rdc_line"; done
