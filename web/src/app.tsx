import { useEffect, useState } from 'preact/hooks';
import type { currentSession, signOut } from '../../src/api/schemas/session';
import { ApiFailure, get, send, useCsrfToken, whenSignedOut } from './api';
import { AuditPage } from './pages/audit';
import { CohortPage } from './pages/cohort';
import { CohortsPage } from './pages/cohorts';
import { DeliveriesPage } from './pages/deliveries';
import { ExperimentPage, ExperimentsPage } from './pages/experiments';
import { ModelPage, ModelsPage } from './pages/models';
import { RunPage } from './pages/run';
import { RunsPage } from './pages/runs';
import { TrendsPage } from './pages/trends';
import { href, useLocation, type Location } from './router';
import { SessionContext, SignIn, type Session } from './session';

const NAV = [
  ['runs', 'Runs'],
  ['cohorts', 'Cohorts'],
  ['trends', 'Drift & KPIs'],
  ['audit', 'Audit'],
  ['deliveries', 'Deliveries'],
  ['experiments', 'Experiments'],
  ['models', 'Models'],
] as const;

function Page({ location }: { location: Location }) {
  const [section = 'runs', id] = location.path;
  switch (section) {
    case 'runs':
      return id ? <RunPage runId={id} /> : <RunsPage query={location.query} />;
    case 'cohorts':
      return id ? <CohortPage cohortId={id} /> : <CohortsPage />;
    case 'trends':
      return <TrendsPage cohortId={id} />;
    case 'audit':
      return <AuditPage query={location.query} />;
    case 'deliveries':
      return <DeliveriesPage />;
    case 'experiments':
      return id ? <ExperimentPage experimentId={id} /> : <ExperimentsPage />;
    case 'models':
      return id ? <ModelPage modelId={id} /> : <ModelsPage />;
    default:
      return (
        <p role="alert" class="error">
          No page “{section}”. <a href={href('runs')}>Go to the runs</a>.
        </p>
      );
  }
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const location = useLocation();

  const signedIn = (s: Session | null) => {
    useCsrfToken(s?.csrfToken);
    setSession(s);
  };
  useEffect(() => {
    whenSignedOut(() => signedIn(null));
    get<typeof currentSession>('/session')
      .then(signedIn)
      .catch((err) => (err instanceof ApiFailure && err.status === 401 ? signedIn(null) : setSession(null)));
  }, []);

  if (session === undefined)
    return (
      <p class="loading" aria-busy="true">
        Loading…
      </p>
    );
  if (session === null) return <SignIn onSignedIn={signedIn} />;

  const section = location.path[0] ?? 'runs';
  const leave = async () => {
    await send<typeof signOut>('DELETE', '/session').catch(() => undefined);
    signedIn(null);
  };
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('runs')}>
          cohortflow
        </a>
        <nav aria-label="Pages">
          <ul>
            {NAV.map(([target, label]) => (
              <li>
                <a href={href(target)} aria-current={section === target ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who" data-testid="signed-in-as">
          <span class="user">{session.user}</span>
          <span class="roles" aria-label="roles">
            {session.roles.join(' · ')}
          </span>
          <button type="button" class="link" onClick={leave}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page location={location} />
      </main>
    </SessionContext.Provider>
  );
}
