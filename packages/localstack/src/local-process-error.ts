// The error for a local program that would not start or run (redis-server, sshd, ssh-keygen). It carries
// the tail of the program's own log, which almost always says why (port in use, bad config).
export class LocalProcessError extends Error {
  readonly code = 'LOCALSTACK_PROCESS_FAILED';
  readonly program: string;
  /** Last lines the program wrote, for the message and for callers that log it separately. */
  readonly logTail: string;

  constructor(program: string, problem: string, logTail: string, options: { cause?: unknown } = {}) {
    const tail = logTail.trim();
    super(`${program} ${problem}${tail ? `; its last output:\n${tail}` : ''}`, options);
    this.name = 'LocalProcessError';
    this.program = program;
    this.logTail = tail;
  }
}
