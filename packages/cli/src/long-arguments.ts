// Keeps huge command-line values out of error messages. commander quotes a rejected value back ("argument
// '…' is invalid"), and a 70 KB --command would fill the terminal: messages name such a value's size instead.

/** Values longer than this are not printed back. */
export const MAX_ECHOED_ARGUMENT = 256;

/** `text` with every argument in `argv` longer than MAX_ECHOED_ARGUMENT replaced by its size. */
export function hideLongArguments(text: string, argv: readonly string[] = process.argv.slice(2)): string {
  const values = argv.flatMap((arg) => {
    // --flag=value: commander quotes only the value.
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    return eq === -1 ? [arg] : [arg, arg.slice(eq + 1)];
  });
  let out = text;
  // Longest first, so a value is replaced whole before any shorter one inside it.
  for (const value of values.filter((v) => v.length > MAX_ECHOED_ARGUMENT).sort((a, b) => b.length - a.length)) {
    out = out.split(value).join(`(${Buffer.byteLength(value)} bytes, not shown)`);
  }
  return out;
}
