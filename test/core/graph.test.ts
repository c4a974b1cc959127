import { describe, expect, it } from 'vitest';
import { cyclicComponents, cycleThrough, longestChains } from '../../src/core/graph.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('graph', () => {
  it.each([
    ['no cycle', { a: ['b'], b: ['c'], c: [] }, []],
    ['two-node cycle', { a: ['b'], b: ['a'] }, [['a', 'b']]],
    ['self loop', { a: ['a'], b: [] }, [['a']]],
    ['two separate cycles and a tail', { a: ['b'], b: ['a'], c: ['d'], d: ['e'], e: ['c', 'x'], x: [] }, [['a', 'b'], ['c', 'd', 'e']]],
    ['edges to unknown ids are ignored', { a: ['missing'], b: ['a'] }, []],
  ])('cyclicComponents: %s', (_name, edges, expected) => {
    expect(cyclicComponents(graph(edges)).sort()).toEqual(expected);
  });

  it('prints a cycle as a path that returns to its start', () => {
    const g = graph({ a: ['b'], b: ['c'], c: ['a'] });
    expect(cycleThrough(g, ['a', 'b', 'c'], 'a')).toEqual(['a', 'b', 'c', 'a']);
  });

  it('handles a 100,000-long chain without overflowing the stack', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 100_000; i++) edges[`t${i}`] = i + 1 < 100_000 ? [`t${i + 1}`] : [];
    const g = graph(edges);
    expect(cyclicComponents(g)).toEqual([]);
    expect(longestChains(g, new Set()).get('t0')).toEqual({ depth: 99_999, next: 't1' });
  });

  it('longest chains in a diamond, with cyclic nodes as leaves', () => {
    const g = graph({ a: ['b', 'c'], b: ['d'], c: ['d'], d: ['e'], e: [], x: ['y'], y: ['x'], z: ['x'] });
    const chains = longestChains(g, new Set(['x', 'y']));
    expect(chains.get('a')).toEqual({ depth: 3, next: 'b' });
    expect(chains.get('e')).toEqual({ depth: 0 });
    expect(chains.get('z')).toEqual({ depth: 1, next: 'x' });
  });
});
