// The supervisor login form.
import { useState } from 'preact/hooks';

interface Props {
  onLogin: (login: string, password: string) => Promise<void>;
  message: string | undefined;
}

export function Login({ onLogin, message }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      await onLogin(String(form.get('login') ?? ''), String(form.get('password') ?? ''));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} aria-label="Supervisor login">
        <h1>Wallboard</h1>
        <p class="hint">Sign in with a supervisor account.</p>
        <label>
          Login
          <input name="login" autocomplete="username" required autofocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {(error ?? message) && (
          <p class="error" role="alert">
            {error ?? message}
          </p>
        )}
        <p class="hint small">
          A wall screen can also open <code>/wallboard/?id_session=…&amp;target=…</code> with a supervisor token.
        </p>
      </form>
    </main>
  );
}
