// `npm install` prints no engine warning (EBADENGINE) on the Node versions we support: every
// package the lock file installs accepts the lowest Node of our own `engines` and this Node.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import semver from 'semver';

const ROOT = new URL('../', import.meta.url);
const read = (path: string) => JSON.parse(readFileSync(new URL(path, ROOT), 'utf8')) as Record<string, any>;

describe('package-lock.json engines', () => {
  const ours = read('package.json').engines.node as string;
  const lowest = semver.minVersion(ours)!.version;
  const packages = Object.entries(read('package-lock.json').packages as Record<string, { version?: string; engines?: { node?: string } | string[] }>);

  it.each([
    ['the lowest Node our engines allow', lowest],
    ['this Node', process.version],
  ])('every installed package accepts %s (%s)', (_what, node) => {
    expect(packages.length).toBeGreaterThan(100);
    const refusing = packages
      .filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node && !semver.satisfies(node, p.engines.node, { includePrerelease: true }))
      .map(([path, p]) => `${path}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });
});
