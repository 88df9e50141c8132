// A network namespace for browser WebRTC tests: Chromium gathers no ICE candidate on loopback
// only, so it runs inside a namespace the test creates, joined to this one by a veth pair with
// private addresses (nothing leaves the machine). Needs root (CAP_NET_ADMIN): `netnsRefusal()`
// says why it cannot be made, for a clear skip. Chromium is started in it through a wrapper
// script (`ip netns exec NS chromium "$@"`), which keeps playwright's pipe descriptors.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM } from './browser.ts';

const IP = '/usr/sbin/ip';

export interface Netns {
  name: string;
  /** Our side of the veth pair (where the server listens). */
  hostAddress: string;
  /** The namespace's side (where Chromium's packets come from). */
  nsAddress: string;
  /** Chromium inside the namespace, with fake audio devices and WebRTC's real host candidates. */
  launchChromium(extraArgs?: string[]): Promise<Browser>;
  remove(): void;
}

const ip = (...args: string[]) => execFileSync(IP, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });

/** Why a namespace cannot be made here (undefined: it can). */
export function netnsRefusal(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: `ip netns add` needs CAP_NET_ADMIN';
  const probe = `vmprobe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (e) {
    return `\`ip netns add\` refused: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
  }
}

/** A namespace with a veth pair 10.231.N.1 (here) ↔ 10.231.N.2 (there), N from the pid. */
export function createNetns(): Netns {
  const id = process.pid % 100_000;
  const name = `vmt${id}`;
  const here = `vh${id}`;
  const there = `vn${id}`;
  const net = `10.231.${id % 250}`;
  const hostAddress = `${net}.1`;
  const nsAddress = `${net}.2`;
  const unlink = () => {
    try {
      ip('link', 'del', here); // takes its peer with it
    } catch {
      // never made, or gone with the namespace
    }
    try {
      ip('netns', 'del', name);
    } catch {
      // never made
    }
  };
  unlink(); // what a killed earlier run of this pid left
  try {
    ip('netns', 'add', name);
    ip('link', 'add', here, 'type', 'veth', 'peer', 'name', there);
    ip('link', 'set', there, 'netns', name);
    ip('addr', 'add', `${hostAddress}/30`, 'dev', here);
    ip('link', 'set', here, 'up');
    ip('netns', 'exec', name, IP, 'addr', 'add', `${nsAddress}/30`, 'dev', there);
    ip('netns', 'exec', name, IP, 'link', 'set', there, 'up');
    ip('netns', 'exec', name, IP, 'link', 'set', 'lo', 'up');
  } catch (e) {
    unlink();
    throw e;
  }
  const dir = mkdtempSync(join(tmpdir(), 'vm-netns-'));
  const wrapper = join(dir, 'chromium-in-netns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${IP} netns exec ${name} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return {
    name,
    hostAddress,
    nsAddress,
    launchChromium: (extraArgs: string[] = []) =>
      chromium.launch({
        executablePath: wrapper,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--use-fake-device-for-media-stream',
          '--use-fake-ui-for-media-stream',
          // The test page is served as http://localhost (a secure context) and talks to 10.231.N.1.
          '--disable-features=WebRtcHideLocalIpsWithMdns,LocalNetworkAccessChecks',
          ...extraArgs,
        ],
      }),
    remove() {
      unlink();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
