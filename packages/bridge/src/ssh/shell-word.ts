// The one way the bridge quotes a value for a remote POSIX shell: a single-quoted word, each `'` written as
// `'\''`. Everything between single quotes is literal in sh, so no value can run as code.

export function shellWord(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
