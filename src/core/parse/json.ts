import { parse as parseMomoa, type AnyNode, type DocumentNode, type MemberNode } from '@humanwhocodes/momoa';
import type { Finding } from '../finding.js';
import type { ParsedYaml, PathSegment, Position } from './yaml.js';

/** JSON with positions and duplicate-key detection, which JSON.parse silently lacks. */
export function parseJson(file: string, text: string, maxDepth: number): ParsedYaml {
  let ast: DocumentNode;
  const nothing = (findings: Finding[]): ParsedYaml => ({ value: undefined, findings, locate: () => ({ line: 1, column: 1 }) });
  try {
    ast = parseMomoa(text, { mode: 'json', ranges: true });
  } catch (error) {
    const e = error as { message: string; line?: number; column?: number };
    if (e instanceof RangeError) return nothing([{ rule: 'json/too-deep', severity: 'error', message: `nesting is too deep to parse (limit ${maxDepth})`, file, line: 1, column: 1 }]);
    return nothing([{ rule: 'json/syntax', severity: 'error', message: e.message.replace(/ \(\d+:\d+\)$/, ''), file, line: e.line ?? 1, column: e.column ?? 1 }]);
  }
  const findings: Finding[] = [];
  let deepest = 0;
  const stack: Array<[AnyNode, number]> = [[ast.body, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node.type === 'Object') {
      deepest = Math.max(deepest, depth);
      const seen = new Set<string>();
      for (const member of node.members) {
        const key = member.name.type === 'String' ? member.name.value : member.name.name;
        if (seen.has(key)) findings.push({ rule: 'json/duplicate-key', severity: 'error', message: `duplicate key "${key}"`, file, line: member.name.loc.start.line, column: member.name.loc.start.column });
        seen.add(key);
        stack.push([member.value, depth + 1]);
      }
    } else if (node.type === 'Array') {
      deepest = Math.max(deepest, depth);
      for (const element of node.elements) stack.push([element.value, depth + 1]);
    }
  }
  if (deepest > maxDepth) findings.push({ rule: 'json/too-deep', severity: 'error', message: `nesting is ${deepest} levels deep, over the limit of ${maxDepth} (lint.max_depth)`, file, line: 1, column: 1 });
  if (findings.length > 0) return nothing(findings);

  const locate = (path: readonly PathSegment[], part: 'key' | 'value' = 'value'): Position => {
    let node: AnyNode = ast.body;
    let best = node.loc.start;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      if (node.type === 'Object') {
        const member: MemberNode | undefined = node.members.find((m) => (m.name.type === 'String' ? m.name.value : m.name.name) === String(segment));
        if (!member) break;
        if (i === path.length - 1 && part === 'key') return { line: member.name.loc.start.line, column: member.name.loc.start.column };
        node = member.value;
      } else if (node.type === 'Array' && typeof segment === 'number' && node.elements[segment]) {
        node = node.elements[segment]!.value;
      } else break;
      best = node.loc.start;
    }
    return { line: best.line, column: best.column };
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // momoa accepts a few things JSON.parse does not (raw control characters in strings)
    return nothing([{ rule: 'json/syntax', severity: 'error', message: (error as Error).message.split('\n')[0]!, file, line: 1, column: 1 }]);
  }
  return { value, findings, locate };
}
