// The shape every scenario returns: its JSON entry (ours, bare, ratio = ours ÷ bare, unit,
// plus details) and the rows it adds to the Markdown table.
import type { Config } from '../lib/harness.ts';

export interface ScenarioEntry {
  ours: number;
  bare: number;
  ratio: number;
  unit: string;
  [detail: string]: unknown;
}

export interface Row {
  scenario: string;
  metric: string;
  ours: string;
  bare: string;
  ratio: string;
  goal: string;
  /** Whether the goal is met; undefined when the row has no goal. */
  met?: boolean;
}

export interface ScenarioResult {
  entry: ScenarioEntry;
  rows: Row[];
  /** Sentences for the notes under the table (causes, conditions). */
  notes?: string[];
}

export type Scenario = (cfg: Config) => Promise<ScenarioResult>;

/** Formats a number for the table: thousands separators, at most `digits` decimals. */
export function fmt(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export const ratio = (ours: number, bare: number) => (bare === 0 ? NaN : Math.round((ours / bare) * 1000) / 1000);
