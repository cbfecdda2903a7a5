import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads once per change of key and, with pollMs, again on that interval while `poll` holds: how
 * a run page follows a stage as it runs. A failed reload keeps the last data on screen.
 */
export function useResource<T>(
  key: string | null,
  load: () => Promise<T>,
  options: { pollMs?: number; poll?: (data: T) => boolean } = {},
): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(key !== null);
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  const shownKey = useRef(key);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (key === null) return;
    let live = true;
    if (shownKey.current !== key) {
      shownKey.current = key;
      setData(undefined);
    }
    setLoading(true);
    loader
      .current()
      .then((value) => live && (setData(value), setError(undefined)))
      .catch((err: Error) => live && setError(err))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [key, tick]);

  const { pollMs, poll } = options;
  useEffect(() => {
    if (!pollMs || data === undefined || (poll && !poll(data))) return;
    const timer = setTimeout(reload, pollMs);
    return () => clearTimeout(timer);
  }, [data, pollMs, poll, reload]);

  return { data, error, loading, reload };
}

/** The current time, renewed every `everyMs`: countdowns and ages. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
