/**
 * Graph algorithms over task dependencies: iterative, so deep chains cannot overflow the stack,
 * and over integer indices in typed arrays, so 100,000 tasks cost milliseconds, not Map lookups.
 */

export type Graph = ReadonlyMap<string, readonly string[]>;

interface Indexed {
  ids: string[];
  /** Edges of node i are targets[offsets[i]] .. targets[offsets[i + 1] - 1]; edges to unknown ids are dropped. */
  offsets: Int32Array;
  targets: Int32Array;
}

function indexGraph(graph: Graph): Indexed {
  const ids = [...graph.keys()];
  const index = new Map<string, number>();
  ids.forEach((id, i) => index.set(id, i));
  const offsets = new Int32Array(ids.length + 1);
  const targets: number[] = [];
  ids.forEach((id, i) => {
    offsets[i] = targets.length;
    for (const to of graph.get(id)!) {
      const j = index.get(to);
      if (j !== undefined) targets.push(j);
    }
  });
  offsets[ids.length] = targets.length;
  return { ids, offsets, targets: Int32Array.from(targets) };
}

/** Strongly connected components (Tarjan), each with more than one node or a self-loop: the cycles. */
export function cyclicComponents(graph: Graph): string[][] {
  const { ids, offsets, targets } = indexGraph(graph);
  const n = ids.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(n);
  let sp = 0;
  const callNode = new Int32Array(n);
  const callEdge = new Int32Array(n);
  const components: string[][] = [];
  let counter = 0;

  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    let depth = 0;
    callNode[0] = root;
    callEdge[0] = offsets[root]!;
    index[root] = low[root] = counter++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const node = callNode[depth]!;
      const edge = callEdge[depth]!;
      if (edge < offsets[node + 1]!) {
        callEdge[depth] = edge + 1;
        const to = targets[edge]!;
        if (index[to] === -1) {
          index[to] = low[to] = counter++;
          stack[sp++] = to;
          onStack[to] = 1;
          depth++;
          callNode[depth] = to;
          callEdge[depth] = offsets[to]!;
        } else if (onStack[to]) {
          if (index[to]! < low[node]!) low[node] = index[to]!;
        }
        continue;
      }
      depth--;
      if (depth >= 0) {
        const parent = callNode[depth]!;
        if (low[node]! < low[parent]!) low[parent] = low[node]!;
      }
      if (low[node] === index[node]) {
        const component: string[] = [];
        let member: number;
        do {
          member = stack[--sp]!;
          onStack[member] = 0;
          component.push(ids[member]!);
        } while (member !== node);
        let selfLoop = false;
        for (let e = offsets[node]!; e < offsets[node + 1]!; e++) if (targets[e] === node) selfLoop = true;
        if (component.length > 1 || selfLoop) components.push(component.sort());
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
  const { ids, offsets, targets } = indexGraph(graph);
  const n = ids.length;
  const depth = new Int32Array(n).fill(-1);
  const next = new Int32Array(n).fill(-1);
  const leaf = new Uint8Array(n);
  ids.forEach((id, i) => {
    if (cyclic.has(id)) leaf[i] = 1;
  });
  // A node is pushed once per edge into it, so the stack can outgrow n: a plain array.
  const work: number[] = [];
  for (let root = 0; root < n; root++) {
    if (depth[root] !== -1) continue;
    let top = 0;
    work[top++] = root;
    while (top > 0) {
      const encoded = work[top - 1]!;
      const node = encoded >= 0 ? encoded : -encoded - 1;
      if (depth[node] !== -1) {
        top--;
        continue;
      }
      if (encoded >= 0 && !leaf[node]) {
        work[top - 1] = -node - 1; // expanded: come back to it after its children
        for (let e = offsets[node]!; e < offsets[node + 1]!; e++) {
          const to = targets[e]!;
          if (depth[to] === -1) work[top++] = to;
        }
        continue;
      }
      top--;
      let best = 0;
      let bestNext = -1;
      if (!leaf[node]) {
        for (let e = offsets[node]!; e < offsets[node + 1]!; e++) {
          const to = targets[e]!;
          if (depth[to]! + 1 > best) {
            best = depth[to]! + 1;
            bestNext = to;
          }
        }
      }
      depth[node] = best;
      next[node] = bestNext;
    }
  }
  const result = new Map<string, { depth: number; next?: string }>();
  for (let i = 0; i < n; i++) result.set(ids[i]!, next[i] === -1 ? { depth: depth[i]! } : { depth: depth[i]!, next: ids[next[i]!]! });
  return result;
}
