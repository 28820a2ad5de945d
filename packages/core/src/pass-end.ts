// Work left for the end of the current pass of the event loop (its check phase, where setImmediate callbacks
// run): whoever batches what one pass produces (a coalescing Redis connection's writes, an agent's request lines)
// queues its flush here, so a pass schedules one setImmediate for all of them and its flushes run in the order
// they were first asked for. A flush queued while they run (one flush's work asks for another) runs in the next
// pass. Nothing waits: a queued flush keeps the loop from blocking, as the setImmediate does.
const queued: (() => void)[] = [];

/** Runs `flush` at the end of this pass of the event loop, with every other flush queued in it. */
export function atPassEnd(flush: () => void): void {
  if (queued.length === 0) setImmediate(runQueued);
  queued.push(flush);
}

function runQueued(): void {
  const flushes = queued.splice(0);
  for (const flush of flushes) {
    try {
      flush();
    } catch (error) {
      // Thrown as its own setImmediate's would have been, without keeping the others from running.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
