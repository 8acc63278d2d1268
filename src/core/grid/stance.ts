import { DEFAULT_STANCE_THRESHOLDS, type StanceThresholds } from '../schemas/grid';

export type Stance = 'neg' | 'neu' | 'pos';
export const STANCES: readonly Stance[] = ['neg', 'neu', 'pos'];

/**
 * The stance bin of a -1..+1 score: `neg` strictly below `neg_below`, `pos` strictly above
 * `pos_above`, `neu` in between with both thresholds included (with the defaults, -0.33 and
 * +0.33 are `neu`). Non-finite scores have no stance.
 */
export function stanceOf(score: number, t: StanceThresholds = DEFAULT_STANCE_THRESHOLDS): Stance | null {
  if (!Number.isFinite(score)) return null;
  if (score < t.neg_below) return 'neg';
  if (score > t.pos_above) return 'pos';
  return 'neu';
}
