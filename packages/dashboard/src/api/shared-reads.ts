// One read shared by the callers that ask for the same key within a short window (the event streams of one scope
// share an overview read a second), but never handed to a caller whose last change came after the read began:
// that read cannot show the change.
export type SharedRead<T> = (key: string, freshAfter?: number) => Promise<T>;

export function sharedReads<T>(
  windowMs: number,
  read: (key: string) => Promise<T>,
  now: () => number = Date.now,
): SharedRead<T> {
  const cache = new Map<string, { at: number; value: Promise<T> }>();
  return (key, freshAfter = 0) => {
    const hit = cache.get(key);
    if (hit && now() - hit.at < windowMs && hit.at > freshAfter) return hit.value;
    const value = read(key);
    cache.set(key, { at: now(), value });
    value.catch(() => {
      if (cache.get(key)?.value === value) cache.delete(key);
    });
    return value;
  };
}
