/** Graph algorithms over task dependencies, iterative so deep chains cannot overflow the stack. */

export type Graph = ReadonlyMap<string, readonly string[]>;

/** Strongly connected components (Tarjan), each with more than one node or a self-loop: the cycles. */
export function cyclicComponents(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const to = edges[frame.next++]!;
        if (!graph.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1 || (graph.get(frame.node) ?? []).includes(frame.node)) components.push(component.sort());
      }
    }
  }
  return components;
}

/** One concrete cycle through `start` inside its component, as a path that ends where it began. */
export function cycleThrough(graph: Graph, component: readonly string[], start: string): string[] {
  const members = new Set(component);
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const to of graph.get(node) ?? []) {
      if (to === start) {
        const path = [start];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = previous.get(at)) path.splice(1, 0, at);
        path.push(start);
        return path;
      }
      if (members.has(to) && !previous.has(to) && to !== start) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return [start, start];
}

/**
 * For each node outside a cycle, the longest chain of dependencies below it (in edges) and the
 * next node on that chain. Nodes in `cyclic` are treated as leaves so the walk terminates.
 */
export function longestChains(graph: Graph, cyclic: ReadonlySet<string>): Map<string, { depth: number; next?: string }> {
  const result = new Map<string, { depth: number; next?: string }>();
  for (const root of graph.keys()) {
    if (result.has(root)) continue;
    const work: Array<{ node: string; expanded: boolean }> = [{ node: root, expanded: false }];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (result.has(frame.node)) {
        work.pop();
        continue;
      }
      const edges = cyclic.has(frame.node) ? [] : (graph.get(frame.node) ?? []).filter((to) => graph.has(to));
      if (!frame.expanded) {
        frame.expanded = true;
        for (const to of edges) if (!result.has(to)) work.push({ node: to, expanded: false });
        continue;
      }
      work.pop();
      let best: { depth: number; next?: string } = { depth: 0 };
      for (const to of edges) {
        const below = result.get(to);
        if (below && below.depth + 1 > best.depth) best = { depth: below.depth + 1, next: to };
      }
      result.set(frame.node, best);
    }
  }
  return result;
}
