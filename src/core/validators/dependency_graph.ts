import type { Finding } from '../finding.js';
import { cyclicComponents, cycleThrough, longestChains } from '../graph.js';
import { locateTask, type Task } from '../workspace.js';
import type { ValidationContext, Validator } from './types.js';

/** No dependency cycles (each printed as its path) and no chain deeper than max_depth, across all plans. */
export const dependencyGraphValidator: Validator = {
  type: 'dependency_graph',
  run(context, options) {
    const maxDepth = typeof options['max_depth'] === 'number' ? options['max_depth'] : context.config.lint.max_dependency_depth;
    const first = context.workspace.tasks;
    const graph = reachableFromScope(context, first);
    const findings: Finding[] = [];
    const cyclic = new Set<string>();
    for (const component of cyclicComponents(graph)) {
      for (const id of component) cyclic.add(id);
      // Report once per cycle, at the first in-scope task on it.
      const anchor = component.find((id) => context.inScope(first.get(id)!.file));
      if (!anchor) continue;
      const path = cycleThrough(graph, component, anchor);
      const task = first.get(anchor)!;
      const depIndex = task.dependencies.indexOf(path[1]!);
      findings.push({
        rule: 'deps/cycle',
        severity: 'error',
        message: `dependency cycle: ${path.join(' → ')}`,
        file: task.file,
        ...locateTask(context.workspace, task, ['dependencies', depIndex]),
        plan: task.plan,
        task: task.id,
      });
    }

    const chains = longestChains(graph, cyclic);
    const overLimit = new Set([...chains].filter(([, c]) => c.depth > maxDepth).map(([id]) => id));
    const dependedOn = new Set<string>();
    for (const id of overLimit) for (const dep of graph.get(id) ?? []) dependedOn.add(dep);
    for (const id of overLimit) {
      if (dependedOn.has(id)) continue;
      const task = first.get(id)!;
      if (!context.inScope(task.file)) continue;
      const chain = [id];
      for (let next = chains.get(id)?.next; next !== undefined; next = chains.get(next)?.next) chain.push(next);
      findings.push({
        rule: 'deps/max-depth',
        severity: 'error',
        message: `dependency chain is ${chains.get(id)!.depth} deep, over max_depth ${maxDepth}: ${chain.join(' → ')}`,
        file: task.file,
        ...locateTask(context.workspace, task, ['dependencies']),
        plan: task.plan,
        task: task.id,
      });
    }
    return findings;
  },
};


/**
 * The dependency graph restricted to what in-scope tasks reach: every cycle through them and
 * every chain below them lies there. With one staged plan in a repository of 100,000 tasks this
 * is a few hundred nodes, not the whole graph; with everything in scope it is the whole graph.
 */
function reachableFromScope(context: ValidationContext, first: ReadonlyMap<string, Task>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue: string[] = [];
  // plans are fewer than tasks: ask inScope once per plan's backlog file
  for (const plan of context.workspace.plans.values()) {
    if (plan.tasks.length === 0 || !context.inScope(plan.tasks[0]!.file)) continue;
    for (const task of plan.tasks) if (first.get(task.id) === task) queue.push(task.id);
  }
  if (queue.length === first.size) {
    for (const [id, task] of first) graph.set(id, task.dependencies);
    return graph;
  }
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    if (graph.has(id)) continue;
    const deps = first.get(id)?.dependencies ?? [];
    graph.set(id, deps);
    for (const dep of deps) if (!graph.has(dep) && first.has(dep)) queue.push(dep);
  }
  return graph;
}
