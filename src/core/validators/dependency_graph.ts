import type { Finding } from '../finding.js';
import { cyclicComponents, cycleThrough, longestChains } from '../graph.js';
import { locateTask, type Task } from '../workspace.js';
import type { Validator } from './types.js';

/** No dependency cycles (each printed as its path) and no chain deeper than max_depth, across all plans. */
export const dependencyGraphValidator: Validator = {
  type: 'dependency_graph',
  run(context, options) {
    const maxDepth = typeof options['max_depth'] === 'number' ? options['max_depth'] : context.config.lint.max_dependency_depth;
    const graph = new Map<string, string[]>();
    const first = new Map<string, Task>();
    for (const [id, tasks] of context.workspace.tasks) {
      graph.set(id, tasks[0]!.dependencies);
      first.set(id, tasks[0]!);
    }
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

