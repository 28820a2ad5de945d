// The stop of a command that serves until a signal (bridge start, dashboard start). Listen before starting: a
// SIGTERM that comes while the server starts, or right after it said it started, is then a clean stop, not
// Node's default (the process killed by the signal, nothing closed).

/** Resolves with the first of `signals` (SIGTERM or SIGINT unless given) from now on. */
export function nextStopSignal(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      for (const name of signals) process.off(name, stop);
      resolve(signal);
    };
    for (const name of signals) process.on(name, stop);
  });
}
