// Operators' SIP phones as the registrar sees them: username → digest HA1, in memory (the
// SIP stack asks synchronously, once per REGISTER), reloaded when a directory changes.
import type { SipUserRecord } from '../store/types.ts';

export class SipUsers {
  private users = new Map<string, SipUserRecord>();
  private loading: Promise<void> | undefined;
  private again = false;

  constructor(private readonly load: () => Promise<SipUserRecord[]>) {}

  get(username: string): SipUserRecord | undefined {
    return this.users.get(username);
  }

  /** Reloads every SIP user; a reload asked for during one runs once more after it. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        const list = await this.load();
        this.users = new Map(list.map((u) => [u.username, u]));
      } while (this.again);
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }
}
