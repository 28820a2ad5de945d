// Text from commands and machines, made harmless for the terminal that shows it: every control character but
// newline and tab (C0, DEL, C1) is written as a visible `\xNN`, so an escape sequence in a task's output cannot
// recolour, retitle, move the cursor of or set the clipboard of the user's terminal. Pipes and files get the
// bytes exactly: only a stream that is a terminal gets the escaped text.

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** `text` with each control character except \n and \t replaced by `\xNN` (ESC becomes the four characters `\x1b`). */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Writes human-readable text: escaped when the stream is a terminal, exact otherwise. */
export function writeText(stream: NodeJS.WritableStream & { isTTY?: boolean }, text: string): void {
  stream.write(stream.isTTY ? escapeControls(text) : text);
}

const RAW_IN_JSON = /[\x7f-\x9f]/g;

/**
 * JSON.stringify, with DEL and C1 characters (which it leaves raw) written as `\u00NN` too: the same value when
 * parsed, and no control character left for a terminal to act on.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(RAW_IN_JSON, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}
