import { createContext } from 'preact';
import { useContext, useState } from 'preact/hooks';
import type { Role } from '../../src/config';
import type { signIn } from '../../src/api/schemas/session';
import { ApiFailure, send } from './api';
import type { Answer } from '../../src/api/schemas/contract';

export type Session = Answer<typeof signIn>;

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** What the API allows a role is what the page shows: admin has every role. */
export const may = (session: Session, ...roles: Role[]) =>
  session.roles.includes('admin') || roles.some((r) => session.roles.includes(r));

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await send<typeof signIn>('POST', '/session', { token: token.trim() }));
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : 'the server could not be reached');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>cohortflow</h1>
      <p>Sign in with your API token. The dashboard keeps a session cookie; the token itself is not stored.</p>
      <form onSubmit={submit} class="card">
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          minLength={16}
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-describedby="token-help"
        />
        <p id="token-help" class="hint">
          With <code>npm start</code>, the demo tokens are in <code>.data/demo-tokens.json</code>.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
