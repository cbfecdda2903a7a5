import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Resource } from './hooks';

// Small pieces every page uses: headings that take focus when a page opens (so a screen reader
// announces it), verdict and stage badges that say their meaning in words, loading and errors.

export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · cohortflow`;
    heading.current?.focus();
  }, [title]);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}

export const Verdict = ({ verdict }: { verdict: string | null | undefined }) =>
  verdict ? <span class={`badge verdict-${verdict}`}>{verdict}</span> : <span class="badge">–</span>;

export const Badge = ({ children, tone = 'neutral' }: { children: ComponentChildren; tone?: string }) => (
  <span class={`badge tone-${tone}`}>{children}</span>
);

export function Loaded<T>({
  resource,
  what,
  children,
}: {
  resource: Resource<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if (resource.data !== undefined)
    return (
      <>
        {resource.error && (
          <p role="alert" class="error">
            Could not refresh {what}: {resource.error.message}
          </p>
        )}
        {children(resource.data)}
      </>
    );
  if (resource.error)
    return (
      <p role="alert" class="error">
        Could not load {what}: {resource.error.message}
      </p>
    );
  return (
    <p class="loading" aria-busy="true">
      Loading {what}…
    </p>
  );
}

/** A table that scrolls sideways on a phone instead of overflowing the page. */
export const TableBox = ({ children, label }: { children: ComponentChildren; label: string }) => (
  <div class="table-box" role="region" aria-label={label} tabIndex={0}>
    {children}
  </div>
);
