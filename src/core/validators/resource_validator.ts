import type { Finding } from '../finding.js';
import { isRecord, locateTask, type Task } from '../workspace.js';
import { dateOfDay, dayNumber, isClosed } from './timeline_checker.js';
import type { Validator } from './types.js';

interface CapacityModel {
  cycleDays: number;
  teams: Map<string, number>;
  defaultPoints: number;
}

interface Load {
  team: string;
  cycle: number;
  points: number;
  tasks: Task[];
}

/**
 * Per team and cycle, the effort_points planned across all plans (tasks not done or dropped) stay
 * within the team's capacity from the capacity model (rulebook team_capacity.yaml by default).
 * A task belongs to the cycle of its start date (else its due date; else the current cycle).
 */
export const resourceValidator: Validator = {
  type: 'resource_validator',
  run(context, options) {
    if (!context.rulebook) return [];
    const name = capacityModelName(options['capacity_model']);
    const model = readModel(context.rulebook(name));
    const anchor = dayNumber(context.config.cycle.anchor);
    const length = context.config.cycle.length_days;
    const findings: Finding[] = [];

    const tasks = [...context.workspace.plans.values()].flatMap((p) => p.tasks).filter((t) => !isClosed(t));
    if (!model || anchor === undefined || !(length >= 1)) {
      // The config is schema-checked, so in practice only a missing capacity model gets here.
      const first = tasks.find((t) => context.inScope(t.file));
      if (first) {
        const why = !model ? `capacity model "${name}" could not be loaded from the rulebook` : `config cycle (anchor ${context.config.cycle.anchor}, length_days ${length}) is not usable`;
        const file = !model ? `${context.config.rulebook_dir.replace(/\/+$/, '')}/${name}.yaml` : undefined;
        findings.push({ rule: 'capacity/model-missing', severity: 'error', message: `${why}; team capacity was not checked`, ...(file ? { file } : {}), plan: first.plan });
      }
      return findings;
    }

    const today = dayNumber(context.today);
    const currentCycle = today === undefined ? 0 : Math.floor((today - anchor) / length);
    const loads = new Map<string, Load>();
    const noTeam = new Map<string, Task[]>();
    // Files in path order, tasks in backlog order: "the first task" does not depend on load order.
    tasks.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.index - b.index));
    for (const task of tasks) {
      const team = task.fields['team'];
      if (typeof team !== 'string' || team === '') {
        const list = noTeam.get(task.plan);
        if (list) list.push(task);
        else noTeam.set(task.plan, [task]);
        continue;
      }
      const date = dayNumber(task.fields['start']) ?? dayNumber(task.fields['due']);
      const cycle = date === undefined ? currentCycle : Math.floor((date - anchor) / length);
      const points = typeof task.fields['effort_points'] === 'number' && Number.isFinite(task.fields['effort_points']) ? task.fields['effort_points'] : 0;
      const key = `${cycle}\u0000${team}`;
      const load = loads.get(key);
      if (load) {
        load.points += points;
        load.tasks.push(task);
      } else loads.set(key, { team, cycle, points, tasks: [task] });
    }

    const scale = length / model.cycleDays;
    for (const load of loads.values()) {
      const capacity = (model.teams.get(load.team) ?? model.defaultPoints) * scale;
      if (load.points <= capacity + 1e-9) continue;
      const anchorTask = load.tasks.find((t) => context.inScope(t.file));
      if (!anchorTask) continue;
      const from = anchor + load.cycle * length;
      const plans = [...new Set(load.tasks.map((t) => t.plan))].sort();
      const listed = model.teams.has(load.team) ? '' : ' (default for teams not in the capacity model)';
      findings.push({
        rule: 'capacity/over',
        severity: 'error',
        message:
          `team ${load.team} is planned at ${num(load.points)} points in cycle ${dateOfDay(from)}..${dateOfDay(from + length - 1)}, ` +
          `over its capacity of ${num(capacity)}${listed}: ${load.tasks.length} task(s) across plan(s) ${plans.join(', ')}`,
        file: anchorTask.file,
        ...locateTask(context.workspace, anchorTask, ['team']),
        plan: anchorTask.plan,
        task: anchorTask.id,
      });
    }

    for (const [plan, list] of noTeam) {
      const first = list.find((t) => context.inScope(t.file));
      if (!first) continue;
      const ids = list.slice(0, 5).map((t) => t.id).join(', ') + (list.length > 5 ? `, and ${list.length - 5} more` : '');
      findings.push({
        rule: 'capacity/no-team',
        severity: 'info',
        message: `${list.length} open task(s) have no team, so their effort counts against no capacity: ${ids}`,
        file: first.file,
        ...locateTask(context.workspace, first),
        plan,
        task: first.id,
      });
    }
    return findings;
  },
};

/** `team_capacity.yaml` (or `team_capacity`) → the rulebook name `team_capacity`. */
function capacityModelName(option: unknown): string {
  const file = typeof option === 'string' && option !== '' ? option : 'team_capacity.yaml';
  return file.replace(/^.*\//, '').replace(/\.ya?ml$/i, '');
}

function readModel(raw: unknown): CapacityModel | undefined {
  if (!isRecord(raw)) return undefined;
  const teams = new Map<string, number>();
  if (isRecord(raw['teams'])) {
    for (const [team, entry] of Object.entries(raw['teams'])) {
      if (isRecord(entry) && typeof entry['points_per_cycle'] === 'number') teams.set(team, entry['points_per_cycle']);
    }
  }
  const cycleDays = typeof raw['cycle_days'] === 'number' && raw['cycle_days'] >= 1 ? raw['cycle_days'] : 14;
  const defaultPoints = typeof raw['default_team_points_per_cycle'] === 'number' ? raw['default_team_points_per_cycle'] : 30;
  return { cycleDays, teams, defaultPoints };
}

function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}
