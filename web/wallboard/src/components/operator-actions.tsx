// A supervisor's actions on one operator: a button on the card opens a dialog (keyboard:
// Tab to the button, Enter; Escape closes and focus returns to the button) with pause for
// one of the account's reasons, unpause, log out (asked to confirm), and suspend / unsuspend
// in each of the operator's groups the supervisor has. Nothing changes on the card here: it
// changes when the stream says so; a refusal shows the server's sentence.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { OperatorSnapshot } from '@voice-management/client';
import type { OperatorAction } from '../api.ts';
import type { Supervision } from '../supervision.ts';
import { STATE_LABELS } from '../format.ts';

export function OperatorActions({ op, supervision }: { op: OperatorSnapshot; supervision: Supervision }) {
  const [open, setOpen] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  // Focus goes back to the button once the dialog is gone (a modal dialog keeps it until then).
  useEffect(() => {
    if (!open && wasOpen.current) trigger.current?.focus();
    wasOpen.current = open;
  }, [open]);
  const close = () => setOpen(false);
  return (
    <>
      <button type="button" class="op-actions" ref={trigger} aria-haspopup="dialog" aria-expanded={open} aria-label={`Actions for ${op.name}`} title="Actions" onClick={() => setOpen(true)}>
        ⋯
      </button>
      {open && <ActionsDialog op={op} supervision={supervision} onClose={close} />}
    </>
  );
}

function ActionsDialog({ op, supervision, onClose }: { op: OperatorSnapshot; supervision: Supervision; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [confirmLogout, setConfirmLogout] = useState(false);
  useEffect(() => {
    const d = ref.current!;
    d.showModal();
    const onCancel = (e: Event) => {
      e.preventDefault();
      onClose();
    };
    d.addEventListener('cancel', onCancel);
    return () => d.removeEventListener('cancel', onCancel);
  }, []);

  const run = async (a: OperatorAction) => {
    setBusy(true);
    setError(undefined);
    try {
      await supervision.act(op.id, a);
      onClose();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      setError(`${e instanceof Error ? e.message : String(e)}${typeof code === 'string' ? ` (${code})` : ''}`);
      setBusy(false);
    }
  };
  const loggedIn = op.state !== 'logged_out';
  const groups = supervision.groupsOf(op);
  const titleId = `op-actions-title-${op.id}`;
  return (
    <dialog ref={ref} class="op-dialog" aria-labelledby={titleId} data-actions-for={op.id} onClick={(e) => e.target === ref.current && onClose()}>
      <header>
        <h2 id={titleId}>{op.name}</h2>
        <span class={`st-${op.state} op-dialog-state`}>{STATE_LABELS[op.state]}</span>
      </header>
      {confirmLogout ? (
        <section aria-label="Confirm logout">
          <p>Log {op.name} out? They stop receiving calls until they log in again.</p>
          <div class="row">
            <button type="button" class="danger" disabled={busy} onClick={() => run({ action: 'logout' })} autofocus>
              Log out {op.name}
            </button>
            <button type="button" disabled={busy} onClick={() => setConfirmLogout(false)}>
              Cancel
            </button>
          </div>
        </section>
      ) : (
        <>
          {loggedIn && op.state !== 'paused' && supervision.pauses.length > 0 && (
            <section aria-labelledby={`${titleId}-pause`}>
              <h3 id={`${titleId}-pause`}>Pause for</h3>
              <div class="row">
                {supervision.pauses.map((p) => (
                  <button type="button" key={p.id} disabled={busy} data-pause={p.id} onClick={() => run({ action: 'pause', pause: p.id })}>
                    {p.label}
                  </button>
                ))}
              </div>
            </section>
          )}
          {loggedIn && (
            <div class="row">
              {op.state === 'paused' && (
                <button type="button" disabled={busy} data-action="unpause" onClick={() => run({ action: 'unpause' })}>
                  End the pause
                </button>
              )}
              <button type="button" class="danger" disabled={busy} data-action="logout" onClick={() => setConfirmLogout(true)}>
                Log out…
              </button>
            </div>
          )}
          {groups.length > 0 && (
            <section aria-labelledby={`${titleId}-groups`}>
              <h3 id={`${titleId}-groups`}>Groups</h3>
              <ul class="op-dialog-groups">
                {groups.map((g) => (
                  <li key={g.id}>
                    <span>
                      {g.name}
                      {g.suspended && <em> · suspended</em>}
                    </span>
                    <button type="button" disabled={busy} data-group={g.id} data-action={g.suspended ? 'unsuspend' : 'suspend'} onClick={() => run({ action: g.suspended ? 'unsuspend' : 'suspend', group: g.id })}>
                      {g.suspended ? 'Unsuspend' : 'Suspend'}
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <footer>
        <button type="button" class="quiet" onClick={onClose}>
          Close
        </button>
      </footer>
    </dialog>
  );
}
