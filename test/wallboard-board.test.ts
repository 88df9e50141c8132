// The wallboard's model without a browser: counts come from snapshots only, an event the
// shown snapshot already reflects is ignored, an older snapshot never replaces a newer one,
// and a stream alert is shown at once then handed over to the snapshot without a duplicate.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert, RealtimeSnapshot, StreamToken, Update } from '@voice-management/client';
import { Board } from '../web/wallboard/src/board.ts';
import type { LinkState, LiveSource } from '../web/wallboard/src/source.ts';

const T = Date.UTC(2026, 10, 25, 9);

function snapshot(cpt: number, waiting: number, alerts: Alert[] = []): RealtimeSnapshot {
  return {
    id_client: 3, cpt, at: new Date(T).toISOString(), day: '2026-11-25', operators: [], trunks: [], pauses: [], alerts,
    groups: [{ id: 5, name: 'Sales', waiting, longest_wait: 0, operators: { logged_in: 0, available: 0, on_call: 0, ringing: 0, wrapup: 0, paused: 0, paused_by: {} }, today: { offered: waiting, answered: 0, abandoned: 0, overflowed: 0, service_level: 1, sl_threshold: 20, avg_wait: 0, aht: 0 } }],
  };
}

/** A source whose snapshots the test answers by hand, in any order. */
class FakeSource implements LiveSource {
  readonly directory = undefined;
  readonly asked: ((s: RealtimeSnapshot) => void)[] = [];
  private event: (u: Update) => void = () => {};
  token = () => ({ idSession: 't' }) as StreamToken;
  snapshot = () => new Promise<RealtimeSnapshot>((resolve) => this.asked.push(resolve));
  onEvent(fn: (u: Update) => void) {
    this.event = fn;
  }
  onState(_fn: (s: LinkState, d: { resumed?: boolean }) => void) {}
  onToken() {}
  close() {}
  push(cpt: number, event: Update['event']) {
    this.event({ ts: T / 1000, elapse: 0, cpt, event });
  }
}

// The board's timers and Date are faked, so the test moves time (its coalescing window
// included) instead of sleeping; setImmediate stays real to let promise callbacks run.
const settle = () => new Promise((r) => setImmediate(r));
const wait = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const alertFile = (id_call: number) => ({ type_notification: 'queue', event: 'alert_file', msg: { id_queue: 5, id_client: 3, id_call, duration_in_queue: 60, validity: 3600 * 24 * 365 } }) as unknown as Update['event'];
const insert = (id_call: number) => ({ type_notification: 'queue', event: 'insert_call', msg: { id_call, id_queue: 5, id_client: 3 } }) as unknown as Update['event'];

let board: Board | undefined;
beforeEach(() => {
  vi.useFakeTimers({ now: T, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  board?.close();
  vi.useRealTimers();
});

describe('wallboard model', () => {
  it('takes counts from snapshots only and never lets an older one win', async () => {
    const src = new FakeSource();
    board = new Board(src);
    src.asked.shift()!(snapshot(10, 1));
    await settle();
    expect(board.view().snap?.groups[0]?.waiting).toBe(1);

    // Events the snapshot reflects are ignored: no refetch is asked for them.
    src.push(9, insert(1));
    src.push(10, insert(2));
    await wait(250);
    expect(src.asked).toHaveLength(0);

    // A new event asks for a snapshot (once for a burst); a late reply of an older state is dropped.
    src.push(11, insert(3));
    src.push(12, insert(4));
    await wait(250);
    expect(src.asked).toHaveLength(1);
    src.asked.shift()!(snapshot(12, 3));
    await settle();
    expect(board.view().snap?.cpt).toBe(12);
    board.refresh();
    src.asked.shift()!(snapshot(11, 2));
    await settle();
    expect(board.view().snap).toMatchObject({ cpt: 12, groups: [{ waiting: 3 }] });
  });

  it('shows a stream alert at once, then the snapshot’s copy alone', async () => {
    const src = new FakeSource();
    board = new Board(src);
    src.asked.shift()!(snapshot(20, 0));
    await settle();
    src.push(21, alertFile(7));
    expect(board.view().alerts).toMatchObject([{ type: 'alert_file', id_queue: 5, id_call: 7 }]);
    await wait(250);
    const [stored] = board.view().alerts;
    src.asked.shift()!(snapshot(21, 0, [stored!]));
    await settle();
    expect(board.view().alerts).toHaveLength(1);
    // Replayed after a resume, the same alert is not shown twice either.
    src.push(21, alertFile(7));
    expect(board.view().alerts).toHaveLength(1);
  });
});
