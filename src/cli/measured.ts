import { describeOutcome, displayPath, shellQuote, type OutcomeInput } from '../core';
import type { CliIO } from './usage';

/** `awb score DIR --rescore errors`: re-judges the failed verdicts of a run folder. */
export function rejudgeCommand(cwd: string, runDir: string): string {
  return `awb score ${shellQuote(displayPath(cwd, runDir))} --rescore errors --judge-model MODEL`;
}

/**
 * What a run or scoring pass measured, on stdout: attack success per model × persona with the
 * generation and judge errors of each. Returns the judge problem (printed last, on stderr).
 */
export function printMeasured(io: CliIO, o: OutcomeInput): string | undefined {
  const outcome = describeOutcome(o);
  if (outcome.measuredLines.length && !(o.scoreLater && o.counts.judge_pending === o.counts.done && o.counts.judge_errors === 0)) {
    io.out('attack success per model × persona (successful attacks / answers judged):');
    for (const l of outcome.measuredLines) io.out(`  ${l}`);
  }
  return outcome.judgeProblem;
}
