import { compareText } from './order.js';
import type { CycleWindow } from './window.js';

/** A sealed handoff and whether it verifies now (null: verification could not run). */
export interface HandoffRecord {
  plan: string;
  sequence: number;
  manifest: string;
  sealed_at: string;
  verified: boolean | null;
  /** Why it does not verify, one line each. */
  problems: string[];
}

/** Handoffs sealed inside the window, in the order they were sealed. */
export function handoffsIn(handoffs: readonly HandoffRecord[], window: CycleWindow): HandoffRecord[] {
  return handoffs
    .filter((h) => {
      const at = Date.parse(h.sealed_at);
      return at >= window.start && at < window.end;
    })
    .sort((a, b) => compareText(a.sealed_at, b.sealed_at) || compareText(a.plan, b.plan) || a.sequence - b.sequence);
}
