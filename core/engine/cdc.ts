import type { TablePlan } from '../mapping/plan.js';
import type { RunContext, RunOutcome } from './task-run.js';

export async function runCdc(_ctx: RunContext, _plans: TablePlan[]): Promise<RunOutcome> {
  return { status: 'failed', message: 'CDC is not available yet' };
}
