import { useEffect, useState } from 'preact/hooks';

// Pages live after the # (/#/runs/refresh-…), so the server answers every page with one file
// and the API's own paths (/runs/…, /cohorts/…) stay JSON.

export interface Location {
  path: string[];
  query: URLSearchParams;
}

function read(): Location {
  const [path = '', search = ''] = window.location.hash.replace(/^#\/?/, '').split('?');
  return {
    path: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(search),
  };
}

export function useLocation(): Location {
  const [location, setLocation] = useState(read);
  useEffect(() => {
    const changed = () => setLocation(read());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return location;
}

/** A link target: href="#/cohorts/at-risk-paid". */
export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;

export function navigate(target: string): void {
  window.location.hash = target.replace(/^#/, '');
}
