// One signed-in toolbar: the operator's token (renewed by the SDK), who they are (GET
// /api/v1/me), their desk (the snapshot, then every event of their stream in cpt order, by
// desk.ts), the softphone when there is one, and the desk actions. Views subscribe to it.
import { connect, type ClientState, type Update, type VmClient } from '@voice-management/client';
import { act, serverBase, signOut, softphoneOf, whoAmI, type Me } from './api.ts';
import { applyEvent, deskFromSnapshot, emptyDesk, type Desk } from './desk.ts';
import type { Phone } from './phone.ts';
import { audioChoice, audioDevices, canPickOutput, micProblem, microphone, type AudioChoice, type AudioDevice, type MicProblem } from './audio.ts';
import { expandPopup, openPopup, popupDue, popupValues } from './popup.ts';

const KEY = 'vm-operator-session';

/**
 * The tab's kept token. A browser that blocks third-party storage (a CRM framing the toolbar
 * from another site, Safari, private windows) throws on any access to sessionStorage: the
 * toolbar then works without keeping the token (a reload asks for it again).
 */
const kept = {
  get: (): string | undefined => {
    try {
      return sessionStorage.getItem(KEY) ?? undefined;
    } catch {
      return undefined;
    }
  },
  set: (token: string | undefined): void => {
    try {
      if (token === undefined) sessionStorage.removeItem(KEY);
      else sessionStorage.setItem(KEY, token);
    } catch {
      // Storage blocked: nothing is kept.
    }
  },
};

/** Every how many ms the toolbar reads its groups' queues (the stream tells an operator its own events only). */
export const QUEUE_POLL_MS = 5000;

/** One of the operator's groups as the last realtime snapshot showed it. */
export interface QueueView {
  id: number;
  name: string;
  waiting: number;
  /** Seconds the longest-waiting caller had waited at `at`. */
  longest: number;
  /** When the snapshot was read (ms). */
  at: number;
}

/** The phone as the toolbar shows it: a softphone in this tab, or a desk phone elsewhere. */
export type PhoneView = 'none' | 'elsewhere' | 'starting' | 'registered' | 'failed';

export class Session {
  desk: Desk;
  link: ClientState = 'connecting';
  phone: PhoneView = 'none';
  /** The last refusal or problem, shown until the next action. */
  message: string | undefined;
  /** The screen pop of the current call (its expanded URL), kept as a link in the call panel. */
  popup: { call: number; url: string; blocked: boolean } | undefined;
  /** The operator's groups with their callers waiting (GET /api/v1/realtime, every QUEUE_POLL_MS). */
  queues: QueueView[] = [];
  private queueTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** The softphone's microphone: usable, or why not (checked as the softphone starts, and at each answer). */
  mic: 'unknown' | 'ok' | MicProblem = 'unknown';
  /** The browser's microphones and speakers, for the softphone's device picker. */
  devices: { inputs: AudioDevice[]; outputs: AudioDevice[] } = { inputs: [], outputs: [] };
  /** The devices the operator chose (remembered in this browser when storage allows). */
  audio: AudioChoice = audioChoice.get();
  private softphone: Phone | undefined;
  private audioEl: HTMLAudioElement | undefined;
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setInterval> | undefined;

  private constructor(readonly me: Me & { id_operator: number }, private readonly client: VmClient) {
    this.desk = emptyDesk(me.id_operator, Date.now());
  }

  /** Opens the toolbar of an operator token: who it is, its stream, its desk, its phone. */
  static async open(idSession: string): Promise<Session> {
    const me = await whoAmI(idSession);
    if (me.id_operator === null) throw new Error(`This page is for an operator; this token is a ${me.role}'s.`);
    const operator = me.id_operator;
    const early: Update[] = [];
    const client = await connect({ url: serverBase(), token: { userType: 'agent', target: operator, idSession, idClient: me.id_client }, types: ['operator', 'UI'] });
    const s = new Session({ ...me, id_operator: operator }, client);
    let ready = false;
    let cpt = 0;
    client.on('event', (u) => {
      if (!ready) return void early.push(u);
      s.apply(u);
    });
    client.on('state', (c) => s.update(() => (s.link = c.state)));
    client.on('token', (t) => kept.set(t.idSession));
    kept.set(idSession);
    const snap = await client.snapshot({ source: 'realtime' }).catch((e: unknown) => {
      client.close('snapshot failed');
      throw e;
    });
    const mine = snap.realtime?.operators.find((o) => o.id === operator);
    if (mine) s.desk = deskFromSnapshot(mine, Date.now());
    if (snap.realtime) s.setQueues(snap.realtime.groups, Date.now());
    cpt = snap.cpt;
    ready = true;
    for (const u of early) if (u.cpt > cpt) s.apply(u);
    s.link = 'live';
    s.timer = setInterval(() => s.emit(), 1000);
    s.queueTimer = setTimeout(() => void s.pollQueues(), QUEUE_POLL_MS);
    return s;
  }

  /** The token this tab kept (sessionStorage: gone with the tab). */
  static saved(): string | undefined {
    return kept.get();
  }

  /** Forgets the token this tab kept (it was refused). */
  static forget(): void {
    kept.set(undefined);
  }

  token(): string {
    return this.client.token?.idSession ?? '';
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Starts the browser softphone when the server has one for this operator. */
  async startPhone(audio: HTMLAudioElement): Promise<void> {
    const cfg = await softphoneOf(this.token(), this.me.id_client, this.me.id_operator).catch(() => undefined);
    if (!cfg) return this.update(() => (this.phone = 'elsewhere'));
    const { startPhone } = await import('./phone.ts');
    this.audioEl = audio;
    this.softphone = startPhone(cfg, audio, () => this.update(() => (this.phone = this.softphone?.state() ?? 'starting')));
    this.update(() => (this.phone = 'starting'));
    await this.checkMicrophone();
  }

  /**
   * Asks for the microphone now (the browser's permission prompt, before any call rings) and
   * lists the devices: a refusal or no device shows at once in the phone area.
   */
  async checkMicrophone(): Promise<void> {
    try {
      const stream = await microphone(this.audio.input);
      for (const t of stream.getTracks()) t.stop();
      this.mic = 'ok';
    } catch (e) {
      this.mic = micProblem(e);
    }
    // What the microphone said shows at once; the device lists and the speaker follow.
    this.emit();
    this.devices = await audioDevices().catch(() => ({ inputs: [], outputs: [] }));
    this.emit();
    await this.applyOutput();
  }

  /** The microphone to answer with (remembered). */
  chooseInput(id: string): void {
    this.audio = { ...this.audio, input: id || undefined };
    audioChoice.set(this.audio);
    void this.checkMicrophone();
  }

  /** The speaker to play the call into (remembered; browsers with setSinkId only). */
  chooseOutput(id: string): void {
    this.audio = { ...this.audio, output: id || undefined };
    audioChoice.set(this.audio);
    void this.applyOutput().then(() => this.emit());
  }

  private async applyOutput(): Promise<void> {
    const el = this.audioEl as (HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> }) | undefined;
    if (!el || !canPickOutput() || !el.setSinkId) return;
    // A remembered speaker that is gone: the default one.
    const id = this.audio.output && this.devices.outputs.some((d) => d.id === this.audio.output) ? this.audio.output : '';
    await el.setSinkId(id).catch(() => undefined);
  }

  /** An incoming call rings in this tab. */
  ringingHere(): boolean {
    return this.softphone?.ringing() ?? false;
  }

  /** POST …/operators/:op/<action>; a refusal's message is shown. */
  async act(action: string, body?: unknown): Promise<boolean> {
    this.message = undefined;
    try {
      await act(this.token(), this.me.id_client, this.me.id_operator, action, body);
      this.emit();
      return true;
    } catch (e) {
      this.update(() => (this.message = e instanceof Error ? e.message : String(e)));
      return false;
    }
  }

  /**
   * Answer: the softphone's session when it rings here (the B2BUA then reports the
   * operator's answer to the engine), else the REST answer (a desk phone, or no phone).
   */
  async answer(): Promise<void> {
    if (this.softphone?.ringing()) {
      this.message = undefined;
      await this.softphone.answer(this.audio.input).then(
        () => this.update(() => (this.mic = 'ok')),
        (e: unknown) => this.update(() => (this.mic = micProblem(e))),
      );
      return;
    }
    await this.act('answer');
  }

  setMuted(muted: boolean): void {
    this.softphone?.setMuted(muted);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.queueTimer);
    this.softphone?.stop();
    const token = this.token();
    this.client.close();
    kept.set(undefined);
    await signOut(token);
  }

  /**
   * Reads the operator's groups' queues, then again QUEUE_POLL_MS after the answer (one
   * request at a time; a failed read keeps the last counts and tries again).
   */
  private async pollQueues(): Promise<void> {
    const snap = await this.client.snapshot({ source: 'realtime' }).catch(() => undefined);
    if (this.closed) return;
    if (snap?.realtime) this.update(() => this.setQueues(snap.realtime!.groups, Date.now()));
    this.queueTimer = setTimeout(() => void this.pollQueues(), QUEUE_POLL_MS);
  }

  private setQueues(groups: { id: number; waiting: number; longest_wait: number }[], at: number): void {
    // `me.groups` of an operator token: its own groups.
    const byId = new Map(groups.map((g) => [g.id, g]));
    this.queues = this.me.groups.map((g) => ({ id: g.id, name: g.name, waiting: byId.get(g.id)?.waiting ?? 0, longest: byId.get(g.id)?.longest_wait ?? 0, at }));
  }

  private apply(u: Update): void {
    const prev = this.desk;
    this.update(() => (this.desk = applyEvent(prev, u.event, Date.now())));
    const pop = this.me.popup;
    const call = pop && popupDue(prev, this.desk, pop.on);
    if (pop && call) {
      const url = expandPopup(pop.url, popupValues(call));
      // `noopener` makes window.open answer null even when it opened: only a named window tells.
      const w = openPopup(url, pop.target);
      this.update(() => (this.popup = { call: call.id, url, blocked: pop.target !== '_blank' && w === null }));
    }
  }

  private update(fn: () => void): void {
    fn();
    this.emit();
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
