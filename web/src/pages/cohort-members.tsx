import { useState } from 'preact/hooks';
import type { cohortMembers } from '../../../src/api/schemas/cohort-views';
import type { Answer } from '../../../src/api/schemas/contract';
import type { whyMember } from '../../../src/api/schemas/inspect';
import { ApiFailure, enc, get } from '../api';
import { count } from '../format';
import { useResource } from '../hooks';
import { Loaded } from '../ui';

type Why = Answer<typeof whyMember>;
type WhyNode = NonNullable<Why['rule']>;

function WhyTree({ node }: { node: WhyNode }) {
  return (
    <li class={node.holds ? 'holds' : 'fails'}>
      <span class="mark" aria-hidden="true">
        {node.holds ? '✓' : '✗'}
      </span>{' '}
      <span class="sr-only">{node.holds ? 'holds: ' : 'does not hold: '}</span>
      <code>{node.text}</code>
      {node.children && node.children.length > 0 && (
        <ul>
          {node.children.map((c) => (
            <WhyTree node={c} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** A sample of the published members, and for any customer the figures that decided membership. */
export function CohortMembers({ cohortId }: { cohortId: string }) {
  const members = useResource(`members:${cohortId}`, () =>
    get<typeof cohortMembers>(`/cohorts/${enc(cohortId)}/members?sample=20`).catch((err) => {
      if (err instanceof ApiFailure && err.status === 404) return null;
      throw err;
    }),
  );
  const [customer, setCustomer] = useState('');
  const [why, setWhy] = useState<{ answer?: Why; error?: string; busy?: boolean }>({});
  const explain = async (id: string) => {
    setCustomer(id);
    setWhy({ busy: true });
    try {
      setWhy({ answer: await get<typeof whyMember>(`/cohorts/${enc(cohortId)}/why/${enc(id)}`) });
    } catch (err) {
      setWhy({ error: err instanceof ApiFailure ? err.message : String(err) });
    }
  };
  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <Loaded resource={members} what="the members">
        {(m) =>
          m === null ? (
            <p>Nothing published yet.</p>
          ) : (
            <>
              <p>
                A sample of version {m.version}’s {count(m.size)} members. Choose one to see why it is a member.
              </p>
              <ul class="member-sample">
                {m.sample.map((id) => (
                  <li>
                    <button type="button" class="link" onClick={() => void explain(id)}>
                      {id}
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )
        }
      </Loaded>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (customer.trim()) void explain(customer.trim());
        }}
      >
        <label for="why-customer">Why is this customer in or out?</label>
        <input id="why-customer" value={customer} onInput={(e) => setCustomer((e.target as HTMLInputElement).value)} />
        <button type="submit">Explain</button>
      </form>
      <div aria-live="polite">
        {why.busy && <p aria-busy="true">Computing…</p>}
        {why.error && (
          <p role="alert" class="error">
            {why.error}
          </p>
        )}
        {why.answer && (
          <div class="why card" data-testid="why">
            <p>
              <strong>{why.answer.customerId}</strong> {why.answer.member ? 'is' : 'is not'} a member as of{' '}
              {why.answer.asOf}
              {why.answer.snapshot
                ? ` in the ${why.answer.snapshot.published ? 'published ' : ''}snapshot run ${why.answer.snapshot.runId} computed (definition version ${why.answer.snapshot.definitionVersion})`
                : ' (no stored snapshot at that moment: computed now)'}
              {why.answer.published &&
                `; in the published version: ${why.answer.published.member ? 'a member' : 'not a member'}`}
              .
            </p>
            {why.answer.scoring && <p>{why.answer.scoring.text}</p>}
            {why.answer.warning && <p class="notice">{why.answer.warning}</p>}
            {why.answer.rule && (
              <ul class="why-tree">
                <WhyTree node={why.answer.rule} />
              </ul>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
