// A labelled input: the label is always a real <label>, hints and errors are tied
// to the input with aria-describedby.
import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

export function Field({
  label,
  hint,
  error,
  children,
  ...input
}: { label: string; hint?: string; error?: string | null; children?: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <label className="field" htmlFor={id}>
      <span>{label}</span>
      {children ?? <input id={id} className="input" aria-describedby={hintId} aria-invalid={error ? true : undefined} {...input} />}
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
    </label>
  );
}

export function ErrorText({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p className="error-text" role="alert">
      {error}
    </p>
  );
}
